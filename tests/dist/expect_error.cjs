// Requires a watchword package that lacks its addon and checks the error says what to do.
//
//   node expect_error.cjs SPECIFIER EXPECTED_TEXT...
'use strict'
const [specifier, ...expected] = process.argv.slice(2)
let error = null
try {
  require(require.resolve(specifier, { paths: [process.cwd()] }))
} catch (err) {
  error = err
}
if (error === null) {
  console.error(`require('${specifier}') loaded, but its addon should be missing`)
  process.exit(1)
}
const missing = expected.filter((text) => !error.message.includes(text))
if (missing.length > 0 || error.code !== 'WATCHWORD_ADDON_UNAVAILABLE') {
  console.error(`require('${specifier}') threw (code ${error.code}):\n  ${error.message}\nwhich lacks: ${missing.join(' | ')}`)
  process.exit(1)
}
console.log(`require('${specifier}') without its addon: ${error.message}`)
