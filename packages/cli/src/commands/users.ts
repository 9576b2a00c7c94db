import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@stratum/contracts';
import { DomainError, type Config } from '@stratum/core';
import { commaList, type ParsedArgs } from '../args.js';
import { CliError, systemContext, withRuntime, type Runtime } from '../runtime.js';
import { emailArg, idArg, passwordArg, textArg } from '../validate.js';
import { SHOWN_ONCE, type Command, type Output } from './command.js';

interface UserInput {
  tenant: string;
  email: string;
  username?: string;
  password?: string;
  subjects: string[];
  client?: string;
}

function userInput(args: ParsedArgs): UserInput {
  const { values } = args;
  return {
    tenant: values.tenant,
    email: emailArg(values.email),
    username: values.username === undefined ? undefined : textArg('username', values.username),
    password: values.password === undefined ? undefined : passwordArg(values.password),
    subjects: values.subjects === undefined ? [] : commaList('subjects', values.subjects),
    client: values.client === undefined ? undefined : idArg('client', values.client),
  };
}

/** An active user, written through the engine: the schema applies and the password is stored as argon2id. */
async function createUser(rt: Runtime, input: UserInput): Promise<Output> {
  const { ctx, tenant } = await systemContext(rt, input.tenant, input.client);
  const password = input.password ?? randomBytes(12).toString('base64url');
  const body = {
    email: input.email,
    password,
    status: 'active',
    ...(input.username ? { username: input.username } : {}),
    ...(input.subjects.length > 0 ? { subjects: input.subjects } : {}),
  };
  let user: Record<string, unknown>;
  try {
    user = await rt.engine.create(ctx, rt.registry.get('identity', 'users'), body);
  } catch (error) {
    if (error instanceof DomainError && error.code === ErrorCode.DUPLICATE) {
      const field = error.details?.[0]?.path ?? 'email or username';
      throw new CliError(`a user with this ${field} already exists in tenant ${tenant.id}`);
    }
    throw error;
  }
  const { id, email, username, subjects, status, created_in } = user;
  const json = { tenant: tenant.id, user: { id, email, username, subjects, status, client: created_in } };
  if (input.password !== undefined) return { json };
  return { json: { ...json, generated_password: password }, notice: `generated_password of user ${id as string} ${SHOWN_ONCE}` };
}

export const userCreateCommand: Command = {
  words: ['user', 'create'],
  synopsis: '--tenant <domain> --email <email> [--username <name>] [--password <password>] [--subjects <subject,...>] [--client <client id>]',
  summary: 'create an active user (password generated and printed once when --password is absent)',
  spec: {
    positionals: [],
    flags: { tenant: 'value', email: 'value', username: 'value', password: 'value', subjects: 'value', client: 'value' },
    required: ['tenant', 'email'],
  },
  prepare(args) {
    const input = userInput(args);
    return (config: Config) => withRuntime(config, (rt) => createUser(rt, input));
  },
};
