/**
 * `npm run secrets:eval`: the secrets plugin's recall per credential format
 * and false-positive rate per kind of benign text, over the fixture corpora
 * in test/fixtures/secrets.
 */
import { evaluate } from '../test/fixtures/secrets/evaluate.js'

const result = evaluate()
const pct = (x: number) => `${(x * 100).toFixed(1)}%`

console.log('Recall per format')
for (const f of result.perFormat) {
  console.log(`  ${f.format.padEnd(28)} ${String(f.found).padStart(3)}/${String(f.total).padEnd(3)} ${pct(f.recall)}`)
}
console.log('\nFalse positives per kind of benign text')
for (const k of result.perNegativeKind) {
  console.log(`  ${k.kind.padEnd(28)} ${String(k.flagged).padStart(3)}/${String(k.total).padEnd(3)} ${pct(k.rate)}`)
}
for (const m of result.misses) console.log(`  missed: ${m.format} in ${m.context}`)
for (const f of result.flagged) console.log(`  false positive: ${f.kind} (${f.rules.join(', ')})`)
console.log(
  `\nrecall ${pct(result.recall)} (${result.found}/${result.positives} fake credentials, ${result.formats} formats; ` +
    `${pct(result.rightKind / result.positives)} named with the expected rule)`,
)
console.log(
  `false positives ${pct(result.falsePositiveRate)} (${result.falsePositives}/${result.negatives} benign texts)`,
)
