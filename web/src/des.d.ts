// The part of des.js (no published types) that the SSO response uses.
declare module "des.js" {
  interface Cipher {
    update(data: number[] | Uint8Array): number[];
    final(): number[];
  }
  interface Mode {
    create(options: { type: "encrypt" | "decrypt"; key: number[] | Uint8Array; iv?: number[] | Uint8Array; padding?: boolean }): Cipher;
  }
  export const EDE: unknown;
  export const CBC: { instantiate(cipher: unknown): Mode };
}
