// Every state scenario of tests/vectors/scenarios, run through the typed Verify API over the
// default store, once with the synchronous methods and once with their Promise forms (`…Async`)
// (the runner: scenario-runner.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scenarioFiles } from './helpers.mjs'
import { runScenario } from './scenario-runner.mjs'

const files = scenarioFiles()

test('the scenario directory has scenarios', () => {
  assert.ok(files.length > 0)
})

for (const { file, scenario } of files) {
  for (const promises of [false, true]) {
    test(`scenario ${file}: ${scenario.name}${promises ? ' (Promise forms)' : ''}`, () =>
      runScenario(file, scenario, { promises }))
  }
}
