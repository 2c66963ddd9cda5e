import type { HttpResponse } from './http.js';
import { manifestKindOf } from './media-types.js';
import { invalidResponse, parseJsonBody, type RequestContext } from './response-errors.js';
import { imageIndexSchema, imageManifestSchema, type ImageIndex, type ImageManifest } from './schemas.js';

/** A validated manifest body: a single image, or an index (manifest list) of images. */
export type ParsedManifest =
  | { kind: 'image'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; manifest: ImageIndex };

/**
 * Validates a manifest body. Its kind comes from the Content-Type the registry stored it with;
 * when that is generic (`application/json` from some proxies), from the body's own `mediaType`.
 */
export function parseManifestBody(context: RequestContext, response: HttpResponse, contentType: string): ParsedManifest {
  let mediaType = contentType;
  let kind = manifestKindOf(mediaType);
  if (kind === null) {
    const declared = declaredMediaType(response.body);
    kind = declared === null ? null : manifestKindOf(declared);
    if (kind === null || declared === null) {
      throw invalidResponse(
        context,
        response.status,
        `unsupported manifest media type "${contentType}"${declared ? ` (body says "${declared}")` : ''}; expected an OCI or Docker v2 manifest or index`,
      );
    }
    mediaType = declared;
  }
  if (kind === 'image') {
    return { kind, mediaType, manifest: parseJsonBody(imageManifestSchema, context, response, `manifest (${mediaType})`) };
  }
  return { kind, mediaType, manifest: parseJsonBody(imageIndexSchema, context, response, `index (${mediaType})`) };
}

function declaredMediaType(body: Buffer): string | null {
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    if (typeof json === 'object' && json !== null && 'mediaType' in json && typeof json.mediaType === 'string') return json.mediaType;
  } catch {
    // Not JSON: parseJsonBody reports it if we get that far; here it just has no media type.
  }
  return null;
}
