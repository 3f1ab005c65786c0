/**
 * How a model is packaged in a registry, told by media types first (CNCF ModelPack, Docker model
 * artifacts, ORAS file artifacts, container images, indexes) and then checked against the content
 * when the layers are read (a layer's media type may say `tar` for a raw file, as `oras push` does
 * by default, or say nothing useful at all, as `oras push file:application/vnd.acme.x` does).
 */
import type { Descriptor } from './client.ts';
import { MT, layerTitle, type ImageManifest } from './manifest.ts';

export type Packaging =
  /** CNCF ModelPack: artifactType/config `application/vnd.cncf.model.*`. */
  | 'modelpack'
  /** Docker model artifacts (`docker model package`): config `application/vnd.docker.ai.model.config.*`. */
  | 'docker-model'
  /** ORAS-style file artifacts: layers named by `org.opencontainers.image.title`. */
  | 'oras'
  /** A container image: OCI/Docker image config, file-system layers. */
  | 'image'
  /** Some other artifact. */
  | 'artifact';

export type LayerRole =
  'weights' | 'weights-config' | 'docs' | 'code' | 'dataset' | 'filesystem' | 'file' | 'license' | 'template' | 'other';

/** What the media type says about the layer's container format. */
export type DeclaredFormat = 'raw' | 'tar' | 'tar+gzip' | 'tar+zstd' | 'unknown';

export interface LayerPlan {
  descriptor: Descriptor;
  index: number;
  /** The file name the artifact gives the layer (ORAS title, ModelPack file path), if any. */
  title?: string;
  role: LayerRole;
  declared: DeclaredFormat;
  /** Image file-system layers: only members that are model files are scanned (an OS has thousands of files). */
  onlyModelFiles: boolean;
}

export interface PackagingPlan {
  packaging: Packaging;
  artifactType?: string;
  configMediaType: string;
  layers: LayerPlan[];
}

export const MODELPACK_MANIFEST = 'application/vnd.cncf.model.manifest.v1+json';
export const MODELPACK_CONFIG = 'application/vnd.cncf.model.config.v1+json';

export function declaredFormat(mediaType: string): DeclaredFormat {
  const mt = mediaType.toLowerCase();
  if (/(^|[.+])tar[.+]gzip$|\.tar\.gz$|tar\+gz$|rootfs\.diff\.tar\.gzip$/.test(mt)) return 'tar+gzip';
  if (/(^|[.+])tar[.+]zstd$/.test(mt)) return 'tar+zstd';
  if (/(^|[.+/])tar$|rootfs\.diff\.tar$|\.tar\b/.test(mt) && !/gzip|zstd/.test(mt)) return 'tar';
  if (/\.raw$|gguf|safetensors|dduf|license|jinja|^text\/|^application\/(json|octet-stream)$|\+json$/.test(mt))
    return 'raw';
  return 'unknown';
}

function modelpackRole(mt: string): LayerRole {
  const m = /^application\/vnd\.cncf\.model\.(weight\.config|weight|doc|code|dataset)\.v1/.exec(mt);
  switch (m?.[1]) {
    case 'weight':
      return 'weights';
    case 'weight.config':
      return 'weights-config';
    case 'doc':
      return 'docs';
    case 'code':
      return 'code';
    case 'dataset':
      return 'dataset';
    default:
      return 'other';
  }
}

function dockerModelRole(mt: string): LayerRole {
  if (/gguf|safetensors|dduf|mmproj/.test(mt)) return 'weights';
  if (/license/.test(mt)) return 'license';
  if (/template/.test(mt)) return 'template';
  if (/config/.test(mt)) return 'weights-config';
  return 'other';
}

const IMAGE_LAYER =
  /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)/;

/** Classifies an image manifest's packaging and plans how to read each layer. */
export function planPackaging(m: ImageManifest): PackagingPlan {
  const cfg = m.config.mediaType;
  const art =
    m.artifactType ?? (cfg !== MT.ociEmpty && cfg !== MT.ociConfig && cfg !== MT.dockerConfig ? cfg : undefined);
  let packaging: Packaging;
  if (
    m.artifactType === MODELPACK_MANIFEST ||
    cfg === MODELPACK_CONFIG ||
    cfg.startsWith('application/vnd.cncf.model.')
  )
    packaging = 'modelpack';
  else if (cfg.startsWith('application/vnd.docker.ai.')) packaging = 'docker-model';
  else if (m.layers.some((l) => layerTitle(l) !== undefined)) packaging = 'oras';
  else if ((cfg === MT.ociConfig || cfg === MT.dockerConfig) && m.layers.every((l) => IMAGE_LAYER.test(l.mediaType)))
    packaging = 'image';
  else packaging = 'artifact';
  const layers = m.layers.map((d, index): LayerPlan => {
    const title = layerTitle(d);
    let role: LayerRole;
    switch (packaging) {
      case 'modelpack':
        role = modelpackRole(d.mediaType);
        break;
      case 'docker-model':
        role = dockerModelRole(d.mediaType);
        break;
      case 'image':
        role = 'filesystem';
        break;
      default:
        role = IMAGE_LAYER.test(d.mediaType) && title === undefined ? 'filesystem' : 'file';
    }
    let declared = declaredFormat(d.mediaType);
    // ORAS marks directories it packed itself; its plain files often carry the generic tar type.
    if (d.annotations?.['io.deis.oras.content.unpack'] === 'true') declared = 'tar+gzip';
    return { descriptor: d, index, title, role, declared, onlyModelFiles: role === 'filesystem' };
  });
  return { packaging, artifactType: art, configMediaType: cfg, layers };
}

/** Human words for a packaging kind. */
export function describePackaging(p: Packaging): string {
  switch (p) {
    case 'modelpack':
      return 'CNCF ModelPack model artifact';
    case 'docker-model':
      return 'Docker model artifact';
    case 'oras':
      return 'ORAS file artifact';
    case 'image':
      return 'container image';
    default:
      return 'OCI artifact';
  }
}
