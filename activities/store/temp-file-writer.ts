/**
 * A Writable that writes into a temp file (created exclusively, mode 0600) and, once ended, hands it to
 * `publish` (rename into place, or discard when the content is already there). A stream destroyed
 * before that removes its temp file, so readers find either a whole file or none. The artifact writer
 * (named by hash) and the part-file writer (named by the caller) are the two kinds.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export abstract class TempFileWriter extends Writable {
  private handle?: fsp.FileHandle;
  private published = false;

  constructor(protected readonly temp: string) {
    super({ highWaterMark: 1 << 20 });
  }

  /** Sees every chunk before it is written (e.g. to hash it). */
  protected onChunk(_chunk: Buffer): void {}

  /** Moves the closed temp file into place (or removes it); a throw fails the stream. */
  protected abstract publish(temp: string): Promise<void>;

  /** fsync before publishing: artifacts must survive a crash right after their name appears. */
  protected readonly syncBeforePublish: boolean = false;

  override _construct(callback: (error?: Error | null) => void): void {
    fsp
      .mkdir(path.dirname(this.temp), { recursive: true })
      .then(() => fsp.open(this.temp, 'wx', 0o600))
      .then((h) => {
        this.handle = h;
        callback();
      }, callback);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.onChunk(chunk);
    this.handle!.write(chunk).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) this.onChunk(b);
    this.handle!.writev(bufs).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      if (this.syncBeforePublish) await this.handle!.sync();
      await this.handle!.close();
      this.handle = undefined;
      await this.publish(this.temp);
      this.published = true;
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const h = this.handle;
    this.handle = undefined;
    Promise.resolve(h?.close())
      .catch(() => undefined)
      .then(() => (this.published ? undefined : fsp.rm(this.temp, { force: true })))
      .then(
        () => callback(error),
        () => callback(error),
      );
  }

  /** Resolves once the stream has ended and the file is published; rejects if the write failed. */
  protected async whenPublished(): Promise<boolean> {
    if (!this.published) await finished(this);
    return this.published;
  }
}
