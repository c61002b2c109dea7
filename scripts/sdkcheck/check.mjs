// Drives the mock LLM server with the official OpenAI and Anthropic SDKs and checks what they
// parse: whole and streaming replies, usage, stop reasons, models, and error classes.
// Usage: node check.mjs http://127.0.0.1:PORT   (the mock started with --rpm 8 --tokens 5..10)
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.argv[2];
let failures = 0;
function check(what, ok, detail = '') {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
    if (!ok) failures++;
}
// The mock's tokenizer (see README): runs of up to four letters/digits, other non-space chars.
function tokens(text) {
    let n = 0, run = 0;
    for (const ch of text) {
        if (/[\p{L}\p{N}]/u.test(ch)) { if (run === 0) n++; run = (run + 1) % 4; }
        else { run = 0; if (!/\s/u.test(ch)) n++; }
    }
    return n;
}

const openai = new OpenAI({ apiKey: 'sk-test-0000', baseURL: base + '/v1', maxRetries: 0 });
const whole = await openai.chat.completions.create({
    model: 'mock-gpt', messages: [{ role: 'user', content: 'hello world' }] });
check('openai whole reply', whole.choices[0].finish_reason === 'stop' &&
      whole.usage.completion_tokens === tokens(whole.choices[0].message.content) &&
      whole.usage.prompt_tokens === 3 + 2 + 2, JSON.stringify(whole.usage));

const stream = await openai.chat.completions.create({
    model: 'mock-gpt', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }] });
let text = '', chunks = 0, finish = null, usage = null, role = null;
for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (delta?.role) role = delta.role;
    if (delta?.content) { text += delta.content; chunks++; }
    if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    if (chunk.usage) usage = chunk.usage;
}
check('openai stream', role === 'assistant' && finish === 'stop' && usage?.completion_tokens === chunks &&
      tokens(text) === chunks, `${chunks} chunks, usage ${JSON.stringify(usage)}`);

const capped = await openai.chat.completions.create({
    model: 'mock-gpt', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
check('openai max_tokens', capped.choices[0].finish_reason === 'length' && capped.usage.completion_tokens === 2);

const models = await openai.models.list();
check('openai models', models.data.length >= 1 && models.data[0].object === 'model');

try {
    await openai.chat.completions.create({ model: 'mock-gpt', messages: [] });
    check('openai 400', false);
} catch (e) {
    check('openai 400', e instanceof OpenAI.BadRequestError && e.param === 'messages', e.message);
}

const anthropic = new Anthropic({ apiKey: 'sk-ant-test-0000', baseURL: base, maxRetries: 0 });
const message = await anthropic.messages.create({
    model: 'mock-claude', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
check('anthropic whole reply', message.stop_reason === 'end_turn' &&
      message.usage.output_tokens === tokens(message.content[0].text) && message.usage.input_tokens === 4,
      JSON.stringify(message.usage));

const events = anthropic.messages.stream({
    model: 'mock-claude', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] });
const final = await events.finalMessage();
check('anthropic stream', final.stop_reason === 'max_tokens' && final.usage.output_tokens === 3 &&
      tokens(final.content[0].text) === 3, JSON.stringify(final.content));

try {
    await anthropic.messages.create({ model: 'mock-claude', messages: [{ role: 'user', content: 'hi' }] });
    check('anthropic 400', false);
} catch (e) {
    check('anthropic 400', e instanceof Anthropic.BadRequestError && e.error?.error?.type === 'invalid_request_error');
}

// 5 chat requests were charged so far against --rpm 8: three more pass, then rate limits.
let limitedOpenAI = null, limitedAnthropic = null;
for (let i = 0; i < 4 && !limitedOpenAI; i++) {
    try { await openai.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }] }); }
    catch (e) { limitedOpenAI = e; }
}
check('openai 429', limitedOpenAI instanceof OpenAI.RateLimitError &&
      Number(limitedOpenAI.headers?.get?.('retry-after-ms') ?? limitedOpenAI.headers?.['retry-after-ms']) > 0,
      limitedOpenAI?.message);
try { await anthropic.messages.create({ model: 'x', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }); }
catch (e) { limitedAnthropic = e; }
check('anthropic 429', limitedAnthropic instanceof Anthropic.RateLimitError &&
      limitedAnthropic.error?.error?.type === 'rate_limit_error');

console.log(failures === 0 ? 'all SDK checks passed' : `${failures} SDK checks failed`);
process.exit(failures === 0 ? 0 : 1);
