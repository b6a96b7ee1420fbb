import type { TargetDescriptor } from './descriptor.js';
import { descriptor as aliyunAlb } from './aliyun-alb.js';
import { descriptor as aliyunCas } from './aliyun-cas.js';
import { descriptor as aliyunCdn } from './aliyun-cdn.js';
import { descriptor as aliyunSlb } from './aliyun-slb.js';
import { descriptor as tencentcloudCdn } from './tencentcloud-cdn.js';
import { descriptor as tencentcloudClb } from './tencentcloud-clb.js';
import { descriptor as tencentcloudSsl } from './tencentcloud-ssl.js';

/**
 * Every cloud deploy target, by `type:`. Importing them is cheap: each loads its SDK only in `create`.
 * A new target is one file here plus its line below; config validation, the JSON Schema and the
 * reference pages pick it up from its descriptor.
 */
export const TARGET_DESCRIPTORS: readonly TargetDescriptor[] = [aliyunAlb, aliyunCas, aliyunCdn, aliyunSlb, tencentcloudCdn, tencentcloudClb, tencentcloudSsl] as TargetDescriptor[];

export function targetDescriptor(type: string): TargetDescriptor | undefined {
  return TARGET_DESCRIPTORS.find((d) => d.type === type);
}

export const targetTypes = (): string[] => TARGET_DESCRIPTORS.map((d) => d.type);
