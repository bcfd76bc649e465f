import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../chart/render.js';
import { NODE_BASE_IMAGE, buildImage, ensureNodeBaseImage, podman } from '../podman/podman.js';
import { RUN_PREFIX, madeObject } from './objects.js';

export interface Image {
  repository: string;
  tag: string;
}

export interface PlayImages {
  api: Image;
  redis: Image;
}

const REDIS_CONTAINERFILE = join(ROOT, 'tools/chart-play/redis.Containerfile');

let images: Promise<PlayImages> | undefined;

/**
 * The API image from the real Dockerfile, tagged for this run only (concurrent runs must not retag each other's
 * image; the build cache makes it quick after the first time), and the Redis stand-in, kept between runs under a
 * tag named after its Containerfile, so that a changed Containerfile builds a new one. Built once per process.
 */
export function playImages(): Promise<PlayImages> {
  images ??= (async () => {
    ensureNodeBaseImage();
    const api = { repository: 'localhost/shaservice-chart-play', tag: RUN_PREFIX };
    madeObject('image', `${api.repository}:${api.tag}`);
    await buildImage(`${api.repository}:${api.tag}`);
    return { api, redis: await redisImage() };
  })();
  return images;
}

async function redisImage(): Promise<Image> {
  const containerfile = readFileSync(REDIS_CONTAINERFILE);
  const hash = createHash('sha256').update(containerfile).update(NODE_BASE_IMAGE).digest('hex').slice(0, 12);
  const image = { repository: 'localhost/chart-play-redis', tag: `7.0-${hash}` };
  const name = `${image.repository}:${image.tag}`;
  const exists = await podman('image', 'exists', name).then(
    () => true,
    () => false,
  );
  if (!exists) {
    // Debian's archive is the one registry reachable from a build, and only through the host's network.
    await podman(
      ...['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${NODE_BASE_IMAGE}`],
      ...['--file', REDIS_CONTAINERFILE, '--tag', name, join(ROOT, 'tools/chart-play')],
    );
  }
  return image;
}
