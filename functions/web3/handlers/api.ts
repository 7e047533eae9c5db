import { NotFoundError } from '../../shared/errors';
import { countMetric } from '../../shared/powertools';
import { httpHandler, json, parseBody, requireCaller } from '../../shared/http';
import { web3Config } from '../config';
import { PaymentVerifyBodySchema, VerifyBodySchema } from '../domain/schemas';
import { issueNonce, signIn } from '../use-cases/sign-in';
import { verifyPayment } from '../use-cases/verify-payment';

const config = web3Config();
/** A payment recorded now (not a replay): Shop/CryptoPaymentsVerified, or Shop/CryptoRefundsDue when its order could not take it (alarmed). */
const hooks = { onVerified: () => countMetric('CryptoPaymentsVerified'), onRefundDue: () => countMetric('CryptoRefundsDue') };

/** Web3Api: POST /web3/nonce, POST /web3/verify, POST /web3/payments/verify (thin adapter). */
export const handler = httpHandler(async (event) => {
  switch (`${event.httpMethod} ${event.resource}`) {
    case 'POST /web3/nonce':
      return json(200, await issueNonce(config));
    case 'POST /web3/verify':
      return json(200, await signIn(config, parseBody(event, VerifyBodySchema)));
    case 'POST /web3/payments/verify': {
      const caller = requireCaller(event);
      return json(200, await verifyPayment(config, caller, parseBody(event, PaymentVerifyBodySchema), hooks));
    }
    default:
      throw new NotFoundError(`no route ${event.httpMethod} ${event.resource}`);
  }
});
