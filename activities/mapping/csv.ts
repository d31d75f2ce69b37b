/** RFC 4180 CSV field quoting for the files we write (Anaplan imports read RFC 4180 CSV). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',') + '\n';
}
