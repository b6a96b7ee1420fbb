import * as z from 'zod';
import { codeOf } from '../cloud/api.js';
import { ALIYUN_CREDENTIALS, aliyunKeyOptions, aliyunKeyProblems } from '../credentials/aliyun.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { aliyunApis, aliyunEndpoints, casCertificateId, casName, ramAccess, removeFromCas } from './aliyun-common.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource } from './steps.js';

const options = z
  .object({
    ...zodFields(aliyunKeyOptions),
    endpoints: aliyunEndpoints(['cas']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, aliyunKeyProblems(o)));

/**
 * `aliyun-cas`: uploads to Alibaba Cloud Certificate Management Service (数字证书管理服务, API 2020-04-07)
 * under a name made of the certificate's name and serial, and deletes the previous upload.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'aliyun-cas',
  vendor: 'aliyun',
  title: 'Alibaba Cloud Certificate Management Service (upload)',
  docs: 'https://help.aliyun.com/zh/ssl-certificate/developer-reference/api-cas-2020-04-07-uploadusercertificate',
  summary:
    'Uploads the certificate to Alibaba Cloud Certificate Management Service (阿里云数字证书管理服务, 原 SSL 证书), where the ' +
    'console and other products (WAF, ALB, OSS, Function Compute) can pick it. Each renewal is a new upload named ' +
    '`certkeeper_<name>_<serial>`; the previous upload is deleted (products that took a copy keep serving it).',
  access: ramAccess(
    [['yundun-cert:UploadUserCertificate', 'yundun-cert:ListUserCertificateOrder', 'yundun-cert:GetUserCertificateDetail', 'yundun-cert:DeleteUserCertificate']],
    '`ListUserCertificateOrder` is needed only when the same certificate was uploaded before (the name is taken): certkeeper ' +
      'then finds its id by name. `GetUserCertificateDetail` checks at each pass that the upload still exists.',
  ),
  credentials: ALIYUN_CREDENTIALS,
  options,
  async create(o, ctx) {
    const { cas } = await aliyunApis(['cas'], o, ctx);
    return {
      async inPlace(memory, signal) {
        try {
          await cas.call('GetUserCertificateDetail', { CertId: memory.current, CertFilter: true }, signal);
          return true;
        } catch (err) {
          if (codeOf(err) === 'CertNotExist') return false;
          throw err;
        }
      },
      async deploy(cert, memory, signal) {
        const before = memory.uploads.length;
        const id = await onResource('cas', () => casCertificateId(cas, cert, memory, signal, o.taskTimeout));
        memory.current = id;
        const fresh = memory.uploads.length > before;
        return { bound: [`cas ${id} (${casName(cert)}): ${fresh ? 'uploaded' : 'already uploaded'}`], changed: fresh };
      },
      remove: (upload, signal) => removeFromCas(cas, upload.id, signal),
    };
  },
};
