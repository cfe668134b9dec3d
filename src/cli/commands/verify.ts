import { EXIT } from '../../errors.js'
import type { Context } from '../context.js'

/** `verify`: integrity findings; exit 3 when any is an error. */
export default async function verify(ctx: Context): Promise<number> {
  const { out } = ctx
  const result = await ctx.migrator().verify()
  if (out.json) out.jsonDocument(result)
  else {
    for (const f of result.findings) {
      const at = f.file ? `${f.file}: ` : ''
      out.log(`${f.severity === 'error' ? 'Error' : 'Warning'}: ${at}${f.message} [${f.kind}]`, f.severity === 'error' ? 'error' : 'warn')
    }
    // A failure is shown even under --quiet: exit 3 alone does not say what is wrong.
    if (result.ok) out.log('Verify passed')
    else out.log(`Verify failed: ${result.findings.filter((f) => f.severity === 'error').length} problem(s)`, 'error')
  }
  if (out.github) {
    for (const f of result.findings) out.annotation(f.severity, `${f.message} [${f.kind}]`, { file: f.file ? out.annotationPath(f.file) : undefined })
  }
  return result.ok ? EXIT.ok : EXIT.integrity
}
