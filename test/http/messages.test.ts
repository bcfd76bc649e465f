import { type TestApp, startApp } from '../helpers/app.js';
import { messageContract } from './message-contract.js';

describe('POST /messages and GET /messages/{digest}, embedded store', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  messageContract(() => app);
});
