/**
 * Where each section and key of an ini text stands, so config errors can name file:line.
 * The ini package parses the values; this only remembers line numbers, with the same rules
 * for sections, comments and `key = value` lines.
 */
export interface IniLines {
  section(name: string): number | undefined;
  key(section: string, key: string): number | undefined;
}

export function indexIniLines(text: string): IniLines {
  const sections = new Map<string, number>();
  const keys = new Map<string, number>();
  let current = '';
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const lineNumber = index + 1;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      if (!sections.has(current)) sections.set(current, lineNumber);
      return;
    }
    const key = line.split('=')[0]!.trim();
    keys.set(`${current}\u0000${key}`, lineNumber);
  });
  return {
    section: (name) => sections.get(name),
    key: (section, key) => keys.get(`${section}\u0000${key}`),
  };
}
