/**
 * Failure converter that moves error messages and stack traces into an encoded payload, so the
 * PayloadCodec encrypts them too (docs/temporal.md §6.4); the server and a UI
 * without the codec see only "Encoded failure". Referenced by path (`failureConverterPath`)
 * because it also runs inside the workflow sandbox: import nothing from Node here.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
