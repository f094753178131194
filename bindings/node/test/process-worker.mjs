// A worker process of processes.test.mjs: opens the service on the store URL it is given (with
// `Verify.open`) and answers one command per line of stdin with one line on stdout, through the
// Promise forms, so that the test starts its processes once and drives them round by round.
//
// Usage: node process-worker.mjs STORE_URL SERVICE
//
//   challenge IDENTITY FACTOR_SID CODE NOW   create a challenge answered with CODE at NOW
//   answer IDENTITY CHALLENGE_SID CODE NOW   answer a pending challenge
//   enroll IDENTITY NOW                      create a factor; answers "ok SID URI"
//   verify IDENTITY FACTOR_SID CODE NOW      verify a factor
//   quit                                     exit
//
// Answers: "ok RESULT" or "error KIND"; the first line is "ready" (or "error KIND").
import { createInterface } from 'node:readline'
import { ww } from './helpers.mjs'

const [store, service] = process.argv.slice(2)
let verify
try {
  verify = await ww.Verify.open({ issuer: 'Race', store, service })
} catch (e) {
  process.stdout.write(`error ${e.code}\n`)
  process.exit(1)
}
process.stdout.write('ready\n')

async function run(command, args) {
  switch (command) {
    case 'challenge': {
      const [identity, factorSid, code, now] = args
      return `ok ${(await verify.createChallengeAsync(identity, factorSid, { authPayload: code, now: Number(now) })).result}`
    }
    case 'answer': {
      const [identity, challengeSid, code, now] = args
      return `ok ${(await verify.updateChallengeAsync(identity, challengeSid, code, { now: Number(now) })).result}`
    }
    case 'enroll': {
      const [identity, now] = args
      const factor = await verify.createFactorAsync(identity, 'phone', { now: Number(now) })
      return `ok ${factor.sid} ${factor.binding.uri}`
    }
    case 'verify': {
      const [identity, factorSid, code, now] = args
      return `ok ${(await verify.verifyFactorAsync(identity, factorSid, code, { now: Number(now) })).result}`
    }
    default:
      return `error unknown_command_${command}`
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(' ')
  if (command === 'quit') break
  let answer
  try {
    answer = await run(command, args)
  } catch (e) {
    answer = `error ${e.code ?? e.message}`
  }
  process.stdout.write(answer + '\n')
}
process.exit(0)
