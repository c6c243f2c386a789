import { z } from 'zod';

/**
 * A moment as bootgate writes it (`new Date().toISOString()`): an ISO 8601 date-time with a
 * zone. Readers parse it (durations, JUnit time stamps), so a file that says otherwise is refused
 * when it is loaded, naming the field, rather than failing somewhere later.
 */
export const isoDateTime = () => z.iso.datetime({ offset: true, message: 'not an ISO 8601 date-time (e.g. 2026-01-10T10:00:00.000Z)' });
