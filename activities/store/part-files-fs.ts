/**
 * Part files on the local disk (the embedded default): `<workDir>/<name>`. A file is written under
 * a temp name beside its target and renamed into place when finished, so a reader (a retried
 * attempt after a crash) finds either the whole part or nothing.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { assertPartName, type PartFiles, type PartWriteStream } from './artifact-store';
import { PartFileNotFoundError } from './errors';
import { TempFileWriter } from './temp-file-writer';

const tempName = (file: string) => `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;

class FsPartWriter extends TempFileWriter implements PartWriteStream {
  constructor(private readonly file: string) {
    super(tempName(file));
  }

  protected override async publish(temp: string): Promise<void> {
    await fsp.rename(temp, this.file);
  }

  async done(): Promise<void> {
    await this.whenPublished();
  }
}

export class FsPartFiles implements PartFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private file(name: string): string {
    assertPartName(name);
    return path.join(this.root, ...name.split('/'));
  }

  async list(dir: string): Promise<string[]> {
    return fsp.readdir(this.file(dir)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
  }

  async readText(name: string): Promise<string | undefined> {
    return fsp.readFile(this.file(name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
  }

  async writeText(name: string, text: string): Promise<void> {
    const file = this.file(name);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const temp = tempName(file);
    try {
      await fsp.writeFile(temp, text, { mode: 0o600 });
      await fsp.rename(temp, file);
    } catch (e) {
      await fsp.rm(temp, { force: true });
      throw e;
    }
  }

  async openRead(name: string): Promise<Readable> {
    const file = this.file(name);
    const handle = await fsp.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new PartFileNotFoundError(name) : e;
    });
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  }

  writeStream(name: string): PartWriteStream {
    return new FsPartWriter(this.file(name));
  }

  async remove(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => fsp.rm(this.file(n), { force: true })));
  }

  async removeTree(dir: string): Promise<void> {
    await fsp.rm(this.file(dir), { recursive: true, force: true });
  }
}
