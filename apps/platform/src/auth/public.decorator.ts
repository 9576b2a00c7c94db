import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'stratum:public';

/** The only way past the global guard: the route is public by intent. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
