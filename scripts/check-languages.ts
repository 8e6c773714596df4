// Checks the code-only packages that jsii-pacmak generated (`npx projen languages`): every README is in its
// own language (no TypeScript example left untranslated), the Python README shows the construct as a Python
// user writes it, and every generated Python source compiles.
import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';

const out = path.resolve(process.argv[2] ?? 'dist/code-only');
const problems: string[] = [];

const read = (relative: string) => readFileSync(path.join(out, relative), 'utf-8');

/** A README (or the package documentation carrying it) whose examples are in `fence` and never TypeScript. */
function inLanguage(relative: string, fence: RegExp, construct: RegExp): void {
  const text = read(relative);
  const untranslated = text.match(/^```(ts|typescript)\b.*$/gm) ?? [];
  if (untranslated.length > 0) problems.push(`${relative}: ${untranslated.length} TypeScript example(s) left untranslated`);
  if (!fence.test(text)) problems.push(`${relative}: no example in its own language (${fence})`);
  if (!construct.test(text)) problems.push(`${relative}: the construct is not shown as this language writes it (${construct})`);
}

inLanguage('python/README.md', /^```python$/m, /StreamTriggeredTable\(stack, "Orders",\s+partition_key=/);
inLanguage('go/cdkstreamtriggeredtable/README.md', /^```go$/m, /cdkstreamtriggeredtable\.NewStreamTriggeredTable\(stack, jsii\.String\("Orders"\)/);
// Java and .NET carry the README as the package's documentation comment.
inLanguage('java/src/main/java/dev/cdkstreamtriggeredtable/package-info.java', /<pre>/, /StreamTriggeredTable\.Builder\.create\(stack, "Orders"\)/);
inLanguage('dotnet/CdkStreamTriggeredTable/CdkStreamTriggeredTable/NamespaceDoc.cs', /<code><!\[CDATA\[/, /new StreamTriggeredTable\(stack, "Orders", new StreamTriggeredTableProps/);

const python = readdirSync(path.join(out, 'python'), { recursive: true, encoding: 'utf-8' })
  .filter((f) => f.endsWith('.py')).map((f) => path.join(out, 'python', f));
if (python.length === 0) problems.push('python: no generated sources');
try {
  execFileSync('python3', ['-m', 'py_compile', ...python], { stdio: ['ignore', 'pipe', 'pipe'] });
} catch (e) {
  problems.push(`python: py_compile failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`languages: Python, Java, .NET and Go generated in ${path.relative(process.cwd(), out)}; READMEs translated; ${python.length} Python files compile`);
