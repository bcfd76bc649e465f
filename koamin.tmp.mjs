import Koa from 'koa';
import { createServer } from 'node:http';
const kind = process.argv[2];
const body = { message: 'hello pinned world' };
let handler;
if (kind === 'bare') handler = (req, res) => { res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }); res.end(JSON.stringify(body)); };
else { const app = new Koa(); app.use((ctx) => { ctx.body = body; }); handler = app.callback(); }
createServer({ keepAliveTimeout: 65000 }, handler).listen(Number(process.argv[3]), '127.0.0.1');
