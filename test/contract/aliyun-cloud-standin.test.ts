import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import RPCClient from '@alicloud/pop-core';
import { waitFor } from '../harness/ports.js';
import { startAliyunCloudFake, type AliyunCloudFake } from '../fakes/aliyun-cloud.js';
import { leafMaker, servedSerial } from '../fakes/test-certs.js';

/**
 * The Alibaba Cloud certificate stand-in driven through the vendor's RPC client (@alicloud/pop-core,
 * signature v1): CAS uploads, CDN and SLB bindings that reach the TLS endpoints after a delay, and
 * the errors the services answer.
 */
describe('Alibaba Cloud CAS/CDN/SLB/ALB stand-in', () => {
  let fake: AliyunCloudFake;
  let make: Awaited<ReturnType<typeof leafMaker>>;
  type Service = 'cas' | 'cdn' | 'slb' | 'alb';
  const client = (service: Service, secret = 'secret') =>
    new RPCClient({ endpoint: fake.endpoints[service], apiVersion: { cas: '2020-04-07', cdn: '2018-05-10', slb: '2014-05-15', alb: '2020-06-16' }[service], accessKeyId: 'LTAItest', accessKeySecret: secret });
  const call = (service: Service, action: string, params: Record<string, unknown>) =>
    client(service).request<any>(action, params, { method: 'POST', timeout: 10_000 });
  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

  beforeAll(async () => {
    make = await leafMaker();
    fake = await startAliyunCloudFake({
      accessKeyId: 'LTAItest',
      accessKeySecret: 'secret',
      cdnDomains: ['static.example.com'],
      loadBalancers: [{ id: 'lb-bp1', region: 'cn-hangzhou', listeners: [{ port: 443, domainExtensions: [{ id: 'de-api', domain: 'api.example.com' }] }] }],
      albListeners: [{ id: 'lsn-1' }, { id: 'lsn-http', protocol: 'HTTP' }],
    });
    fake.faults.taskDelayMs = 150;
  });
  afterAll(() => fake?.stop());

  it('checks the RPC signature and answers throttling with Throttling.User', async () => {
    expect(await codeOf(client('cas', 'wrong').request('ListUserCertificateOrder', { OrderType: 'UPLOAD' }))).toBe('SignatureDoesNotMatch');
    fake.faults.throttle = 1;
    expect(await codeOf(call('cas', 'ListUserCertificateOrder', { OrderType: 'UPLOAD' }))).toBe('Throttling.User');
    expect(await codeOf(call('cas', 'ListUserCertificateOrder', { OrderType: 'UPLOAD' }))).toBe('ok');
  });

  it('CAS: upload (unique name, list lag), detail with the serial, CDN takes it by id and serves it after the change deploys', async () => {
    const pair = await make(['static.example.com'], 'cdn-1');
    fake.faults.listLagMs = 60_000;
    const { CertId } = await call('cas', 'UploadUserCertificate', { Name: 'static-1', Cert: pair.cert, Key: pair.key });
    expect((await call('cas', 'ListUserCertificateOrder', { OrderType: 'UPLOAD' })).TotalCount).toBe(0);
    fake.faults.listLagMs = 0;
    expect(await codeOf(call('cas', 'UploadUserCertificate', { Name: 'static-1', Cert: pair.cert, Key: pair.key }))).toBe('NameRepeat');
    expect((await call('cas', 'GetUserCertificateDetail', { CertId })).SerialNo).toBe(pair.serial.toLowerCase());

    expect(await codeOf(call('cdn', 'SetCdnDomainSSLCertificate', { DomainName: 'static.example.com', SSLProtocol: 'on', CertType: 'upload' }))).toBe('SSLPub.MissingParameter');
    expect(await codeOf(call('cdn', 'SetCdnDomainSSLCertificate', { DomainName: 'static.example.com', SSLProtocol: 'yes' }))).toBe('InvalidSSLProtocol.ValueNotSupported');
    fake.faults.holdTasks = true; // assert the in-between state without racing the task timer
    await call('cdn', 'SetCdnDomainSSLCertificate', { DomainName: 'static.example.com', SSLProtocol: 'on', CertType: 'cas', CertId, CertRegion: 'cn-hangzhou' });
    const info = async () => (await call('cdn', 'DescribeDomainCertificateInfo', { DomainName: 'static.example.com' })).CertInfos.CertInfo[0];
    expect((await info()).Status).toBe('checking');
    expect(await servedSerial(fake.cdnPort, 'static.example.com')).toMatch(/^error: /);
    fake.releaseTasks();
    await waitFor(async () => (await info()).Status === 'success', 'CDN certificate deployed');
    expect(await servedSerial(fake.cdnPort, 'static.example.com')).toBe(pair.serial);
    await call('cas', 'DeleteUserCertificate', { CertId });
    expect(await codeOf(call('cas', 'GetUserCertificateDetail', { CertId }))).toBe('CertNotExist');
  });

  it('SLB: upload, rebind listener and SNI domain extension, old certificate deletable only once unused', async () => {
    const oldPair = await make(['www.example.com', 'api.example.com'], 'slb-old');
    const oldId = fake.seedSlbCertificate('cn-hangzhou', oldPair);
    fake.bindSlbNow('lb-bp1', 443, undefined, oldId);
    fake.bindSlbNow('lb-bp1', 443, 'api.example.com', oldId);
    const port = fake.listenerPort('lb-bp1', 443);
    expect(await servedSerial(port, 'api.example.com')).toBe(oldPair.serial);

    const pair = await make(['www.example.com', 'api.example.com'], 'slb-new');
    const region = { RegionId: 'cn-hangzhou' };
    const up = await call('slb', 'UploadServerCertificate', { ...region, ServerCertificate: pair.cert, PrivateKey: pair.key, ServerCertificateName: 'new' });
    expect(await codeOf(call('slb', 'SetLoadBalancerHTTPSListenerAttribute', { ...region, LoadBalancerId: 'lb-nope', ListenerPort: 443, ServerCertificateId: up.ServerCertificateId }))).toBe(
      'InvalidLoadBalancerId.NotFound',
    );
    expect(await codeOf(call('slb', 'SetLoadBalancerHTTPSListenerAttribute', { ...region, LoadBalancerId: 'lb-bp1', ListenerPort: 443, ServerCertificateId: 'nope' }))).toBe('ServerCertificateId.NotFound');
    await call('slb', 'SetLoadBalancerHTTPSListenerAttribute', { ...region, LoadBalancerId: 'lb-bp1', ListenerPort: 443, ServerCertificateId: up.ServerCertificateId });
    const ext = await call('slb', 'DescribeDomainExtensions', { ...region, LoadBalancerId: 'lb-bp1', ListenerPort: 443 });
    expect(ext.DomainExtensions.DomainExtension[0]).toMatchObject({ DomainExtensionId: 'de-api', ServerCertificateId: oldId });
    expect(await codeOf(call('slb', 'DeleteServerCertificate', { ...region, ServerCertificateId: oldId }))).toBe('ResourceInUse.ServerCertificate');
    await call('slb', 'SetDomainExtensionAttribute', { ...region, DomainExtensionId: 'de-api', ServerCertificateId: up.ServerCertificateId });
    await waitFor(async () => (await servedSerial(port, 'api.example.com')) === pair.serial, 'SNI certificate served');
    await waitFor(async () => (await servedSerial(port, 'www.example.com')) === pair.serial, 'listener certificate served');
    await call('slb', 'DeleteServerCertificate', { ...region, ServerCertificateId: oldId });
    expect((await call('slb', 'DescribeServerCertificates', region)).ServerCertificates.ServerCertificate.map((c: any) => c.ServerCertificateId)).toEqual([up.ServerCertificateId]);
  });

  it('ALB: a CAS certificate by id-with-region, a job per change, the listener busy meanwhile, ClientToken answered once', async () => {
    const pair = await make(['www.example.com', 'api.example.com'], 'alb-1');
    const { CertId } = await call('cas', 'UploadUserCertificate', { Name: 'alb-1', Cert: pair.cert, Key: pair.key });
    const id = `${CertId}-cn-hangzhou`;
    expect(await codeOf(client('alb', 'wrong').request('ListListenerCertificates', { ListenerId: 'lsn-1' }))).toBe('SignatureDoesNotMatch');
    expect(await codeOf(call('alb', 'UpdateListenerAttribute', { 'Certificates.1.CertificateId': id }))).toBe('MissingParameter');
    expect(await codeOf(call('alb', 'UpdateListenerAttribute', { ListenerId: 'lsn-nope', 'Certificates.1.CertificateId': id }))).toBe('ResourceNotFound.Listener');
    expect(await codeOf(call('alb', 'UpdateListenerAttribute', { ListenerId: 'lsn-1', 'Certificates.1.CertificateId': String(CertId) }))).toBe('ResourceNotFound.Certificate');
    expect(await codeOf(call('alb', 'ListListenerCertificates', { ListenerId: 'lsn-http' }))).toBe('OperationDenied.ListenerProtocolNotSupport');

    fake.faults.holdTasks = true;
    const token = { ListenerId: 'lsn-1', 'Certificates.1.CertificateId': id, ClientToken: 'tok-1' };
    const { JobId } = await call('alb', 'UpdateListenerAttribute', token);
    expect((await call('alb', 'UpdateListenerAttribute', token)).JobId).toBe(JobId);
    expect(await codeOf(call('alb', 'AssociateAdditionalCertificatesWithListener', { ListenerId: 'lsn-1', 'Certificates.1.CertificateId': id }))).toBe('IncorrectStatus.Listener');
    const job = async () => (await call('alb', 'ListAsynJobs', { 'JobIds.1': JobId })).Jobs[0].Status;
    expect(await job()).toBe('Processing');
    expect((await call('alb', 'ListListenerCertificates', { ListenerId: 'lsn-1' })).Certificates).toEqual([]);
    fake.releaseTasks();
    await waitFor(async () => (await job()) === 'Succeeded', 'ALB job done');
    expect((await call('alb', 'ListListenerCertificates', { ListenerId: 'lsn-1', CertificateType: 'Server' })).Certificates).toEqual([{ CertificateId: id, IsDefault: true, Status: 'Associated', CertificateType: 'Server' }]);
    expect(await servedSerial(fake.albListenerPort('lsn-1'), 'www.example.com')).toBe(pair.serial);
    expect(await codeOf(call('alb', 'DissociateAdditionalCertificatesFromListener', { ListenerId: 'lsn-1', 'Certificates.1.CertificateId': id }))).toBe('ResourceNotAssociated.Certificate');
    expect(fake.albJobs()).toBe(1);
  });
});
