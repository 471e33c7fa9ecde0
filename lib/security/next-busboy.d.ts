/** The multipart parser Next.js decodes server actions with (its compiled busboy 1.x). */
declare module "next/dist/compiled/busboy" {
  import type { Readable, Writable } from "node:stream";

  type TBusboy = Writable & {
    on(event: "field", listener: (name: string, value: string) => void): TBusboy;
    on(event: "file", listener: (name: string, stream: Readable) => void): TBusboy;
    on(event: "close", listener: () => void): TBusboy;
    on(event: "error", listener: (error: unknown) => void): TBusboy;
  };

  const busboy: (config: {
    headers: Record<string, string>;
    defParamCharset?: string;
    limits?: { fieldSize?: number };
  }) => TBusboy;
  export default busboy;
}
