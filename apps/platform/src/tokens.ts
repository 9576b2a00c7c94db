/** Injection tokens for values that are interfaces, not classes. */
export const CONFIG = Symbol('CONFIG');
export const STORE = Symbol('STORE');
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
export const IDENTITY = Symbol('IDENTITY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
