import { SetMetadata } from '@nestjs/common';

export const OUTSIDE_QUOTA = 'stratum:outside-quota';

/**
 * The route is counted in the tenant's usage but never refused by its plan: a tenant over its
 * quota can still read why, and still sign out.
 */
export const OutsideQuota = () => SetMetadata(OUTSIDE_QUOTA, true);
