/**
 * What a part's header fields say about its body: media type (RFC 2045 §5,
 * with the defaults of RFC 2045 §5.2 and RFC 2046 §5.1.5), transfer
 * encoding (RFC 2045 §6), disposition and filename (RFC 2183, RFC 2231),
 * Content-ID (RFC 2392).
 *
 * @module
 */
import type { HeaderField } from "./headers.js";
import { parseParameters } from "./parameters.js";

/** A part's description, read from its header fields. */
export interface PartInfo {
  /** The media type in lower case, e.g. `"text/plain"`; the RFC defaults when absent or unreadable. */
  readonly mediaType: string;
  /** The top-level type (`"text"`). */
  readonly type: string;
  /** The subtype (`"plain"`). */
  readonly subtype: string;
  /** The Content-Type parameters by lower-case name (`charset`, `boundary`, `name`, `format`...). */
  readonly parameters: Readonly<Record<string, string>>;
  /** The charset parameter, lower case, if any. */
  readonly charset?: string;
  /** The transfer encoding in lower case (`"7bit"` when absent). */
  readonly transferEncoding: string;
  /** `"inline"`, `"attachment"` or another disposition type, lower case; absent when there is no header. */
  readonly disposition?: string;
  /** The Content-Disposition parameters. */
  readonly dispositionParameters: Readonly<Record<string, string>>;
  /** The file name from the disposition's `filename` or the type's `name`, decoded. */
  readonly filename?: string;
  /** The Content-ID without angle brackets. */
  readonly contentId?: string;
}

function firstValue(fields: readonly HeaderField[], key: string): string | undefined {
  let found: string | undefined;
  // The first occurrence wins, as in most clients.
  for (const field of fields) {
    if (field.key === key) {
      found = field.value;
      break;
    }
  }
  return found;
}

/**
 * Reads a part's description from its header fields.
 *
 * @param fields - the part's header fields
 * @param defaultType - the media type when none is given (`"message/rfc822"` inside multipart/digest)
 * @returns the description
 * @internal
 */
export function describePart(fields: readonly HeaderField[], defaultType = "text/plain"): PartInfo {
  const typeHeader = firstValue(fields, "content-type");
  let mediaType = defaultType;
  let parameters: Readonly<Record<string, string>> = Object.create(null) as Record<string, string>;
  if (typeHeader !== undefined) {
    const parsed = parseParameters(typeHeader);
    parameters = parsed.parameters;
    const slash = parsed.value.indexOf("/");
    // RFC 2045 §5.2: an unreadable Content-Type means text/plain; charset=us-ascii.
    if (slash > 0 && slash < parsed.value.length - 1) mediaType = parsed.value;
    else if (parsed.value === "text") mediaType = "text/plain";
    else mediaType = "text/plain";
  }
  const slash = mediaType.indexOf("/");
  const type = mediaType.slice(0, slash);
  const subtype = mediaType.slice(slash + 1);
  const encodingHeader = firstValue(fields, "content-transfer-encoding");
  const transferEncoding = encodingHeader === undefined ? "7bit" : encodingHeader.trim().toLowerCase().split(/[\s;(]/)[0] ?? "7bit";
  const dispositionHeader = firstValue(fields, "content-disposition");
  let disposition: string | undefined;
  let dispositionParameters: Readonly<Record<string, string>> = Object.create(null) as Record<string, string>;
  if (dispositionHeader !== undefined) {
    const parsed = parseParameters(dispositionHeader);
    disposition = parsed.value;
    dispositionParameters = parsed.parameters;
  }
  // Already decoded by parseParameters (RFC 2231, or RFC 2047 words in a plain value):
  // decoding again would turn an RFC 2231 name that spells an encoded word into another name.
  const filename = dispositionParameters["filename"] ?? parameters["name"];
  const idHeader = firstValue(fields, "content-id");
  let contentId: string | undefined;
  if (idHeader !== undefined) {
    const trimmed = idHeader.trim();
    contentId = trimmed.startsWith("<") && trimmed.endsWith(">") ? trimmed.slice(1, -1).trim() : trimmed;
  }
  const charset = parameters["charset"]?.trim().toLowerCase();
  return {
    mediaType,
    type,
    subtype,
    parameters,
    ...(charset !== undefined && charset.length > 0 ? { charset } : {}),
    transferEncoding,
    ...(disposition !== undefined && disposition.length > 0 ? { disposition } : {}),
    dispositionParameters,
    ...(filename !== undefined ? { filename } : {}),
    ...(contentId !== undefined && contentId.length > 0 ? { contentId } : {}),
  };
}
