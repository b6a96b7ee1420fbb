import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { waitFor } from '../harness/ports.js';
import { startTencentCloudFake, type TencentCloudFake } from '../fakes/tencent-cloud.js';
import { leafMaker, servedSerial } from '../fakes/test-certs.js';

delete process.env.http_proxy;

/**
 * The Tencent Cloud certificate stand-in driven through the vendor's own SDK (CommonClient, TC3
 * signing): it must refuse what the service refuses, run its changes asynchronously, and its TLS
 * endpoints must serve what is bound.
 */
describe('Tencent Cloud SSL/CLB/CDN stand-in', () => {
  let fake: TencentCloudFake;
  let make: Awaited<ReturnType<typeof leafMaker>>;
  let oldId: string;
  let old: { serial: string };
  const clb = { lb: 'lb-web', listener: 'lbl-plain' };
  const sni = { lb: 'lb-web', listener: 'lbl-sni', domain: 'api.example.com' };
  const client = (service: 'ssl' | 'clb' | 'cdn', version: string, o: { secretId?: string; region?: string } = {}) =>
    new CommonClient(fake.endpoints[service], version, {
      credential: { secretId: o.secretId ?? 'AKIDtest', secretKey: 'secret' },
      region: o.region ?? '',
      profile: { httpProfile: { endpoint: fake.endpoints[service], protocol: 'http://', reqTimeout: 10 } },
    });
  const ssl = () => client('ssl', '2019-12-05');
  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

  beforeAll(async () => {
    make = await leafMaker();
    fake = await startTencentCloudFake({
      secretId: 'AKIDtest',
      secretKey: 'secret',
      loadBalancers: [{ id: 'lb-web', region: 'ap-guangzhou', listeners: [{ id: 'lbl-plain' }, { id: 'lbl-sni', sni: true, domains: ['api.example.com', 'www.example.com'] }] }],
      cdnDomains: ['cdn.example.com'],
    });
    fake.faults.taskDelayMs = 150;
    const pair = await make(['api.example.com', 'www.example.com', 'cdn.example.com'], 'old');
    old = pair;
    oldId = fake.seedCertificate(pair, 'old');
    fake.bindNow({ clb }, oldId);
    fake.bindNow({ clb: sni }, oldId);
    fake.bindNow({ cdn: 'cdn.example.com' }, oldId);
  });
  afterAll(() => fake?.stop());

  it('refuses an unknown key, a wrong secret, a missing region on CLB; answers throttling with RequestLimitExceeded', async () => {
    expect(await codeOf(client('ssl', '2019-12-05', { secretId: 'AKIDother' }).request('DescribeCertificates', {}))).toBe('AuthFailure.SecretIdNotFound');
    const wrong = new CommonClient(fake.endpoints.ssl, '2019-12-05', {
      credential: { secretId: 'AKIDtest', secretKey: 'nope' },
      profile: { httpProfile: { endpoint: fake.endpoints.ssl, protocol: 'http://' } },
    });
    expect(await codeOf(wrong.request('DescribeCertificates', {}))).toBe('AuthFailure.SignatureFailure');
    expect(await codeOf(client('clb', '2018-03-17').request('DescribeListeners', { LoadBalancerId: 'lb-web' }))).toBe('MissingParameter');
    fake.faults.throttle = 1;
    expect(await codeOf(ssl().request('DescribeCertificates', {}))).toBe('RequestLimitExceeded');
    expect(await codeOf(ssl().request('DescribeCertificates', {}))).toBe('ok');
  });

  it('renewal through SSL: upload (list lag), UpdateCertificateInstance (created on the second call), poll, served everywhere, old one deletable', async () => {
    const next = await make(['api.example.com', 'www.example.com', 'cdn.example.com'], 'next');
    expect(await servedSerial(fake.listenerPort(clb.lb, clb.listener), 'x.example.com')).toBe(old.serial);
    fake.faults.listLagMs = 60_000;
    const up = await ssl().request('UploadCertificate', { CertificatePublicKey: next.cert, CertificatePrivateKey: next.key, Alias: 'next', CertificateType: 'SVR' });
    const listed = await ssl().request('DescribeCertificates', { SearchKey: 'next' });
    expect(listed.TotalCount).toBe(0); // not listed yet: keep the id UploadCertificate returned
    fake.faults.listLagMs = 0;
    expect(await codeOf(ssl().request('UploadCertificate', { CertificatePublicKey: next.cert, CertificatePrivateKey: old.serial }))).toBe('FailedOperation.CertificateMismatch');

    const args = { OldCertificateId: oldId, CertificateId: up.CertificateId, ResourceTypes: ['clb', 'cdn'], ResourceTypesRegions: [{ ResourceType: 'clb', Regions: ['ap-guangzhou'] }] };
    expect(await codeOf(ssl().request('UpdateCertificateInstance', { ...args, ResourceTypesRegions: undefined }))).toBe('InvalidParameter');
    fake.faults.holdTasks = true; // assert the in-between state without racing the task timer
    const first = await ssl().request('UpdateCertificateInstance', args);
    expect(first.DeployRecordId).toBe(0);
    const second = await ssl().request('UpdateCertificateInstance', args);
    expect(second.DeployRecordId).toBeGreaterThan(0);
    expect(await codeOf(ssl().request('DeleteCertificate', { CertificateId: oldId }))).toBe('FailedOperation.DeleteResourceFailed');
    fake.releaseTasks();

    let detail: any;
    await waitFor(async () => {
      detail = await ssl().request('DescribeHostUpdateRecordDetail', { DeployRecordId: String(second.DeployRecordId) });
      return detail.SuccessTotalCount + detail.FailedTotalCount === detail.TotalCount;
    }, 'update record done');
    expect(detail).toMatchObject({ TotalCount: 3, SuccessTotalCount: 3, FailedTotalCount: 0 });
    expect(await servedSerial(fake.listenerPort(clb.lb, clb.listener), 'x.example.com')).toBe(next.serial);
    expect(await servedSerial(fake.listenerPort(sni.lb, sni.listener), sni.domain)).toBe(next.serial);
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(next.serial);
    expect((await ssl().request('DeleteCertificate', { CertificateId: oldId })).DeleteResult).toBe(true);
    oldId = up.CertificateId;
    old = next;
  });

  it('CLB: SNI domain certificate through ModifyDomainAttributes is a task (DescribeTaskStatus), one task at a time per load balancer', async () => {
    const gz = client('clb', '2018-03-17', { region: 'ap-guangzhou' });
    const third = await make(['api.example.com'], 'third');
    const listeners = await gz.request('DescribeListeners', { LoadBalancerId: 'lb-web' });
    expect(listeners.Listeners.find((l: any) => l.ListenerId === 'lbl-sni').Rules[0].Certificate.CertId).toBe(oldId);
    const id = (await ssl().request('UploadCertificate', { CertificatePublicKey: third.cert, CertificatePrivateKey: third.key })).CertificateId;
    expect(await codeOf(gz.request('ModifyListener', { LoadBalancerId: 'lb-web', ListenerId: 'lbl-sni', Certificate: { CertId: id } }))).toBe('InvalidParameterValue');
    fake.faults.holdTasks = true;
    const task = await gz.request('ModifyDomainAttributes', { LoadBalancerId: 'lb-web', ListenerId: 'lbl-sni', Domain: 'api.example.com', Certificate: { SSLMode: 'UNIDIRECTIONAL', CertId: id } });
    expect((await gz.request('DescribeTaskStatus', { TaskId: task.RequestId })).Status).toBe(2);
    expect(await codeOf(gz.request('ModifyListener', { LoadBalancerId: 'lb-web', ListenerId: 'lbl-plain', Certificate: { CertId: id } }))).toBe('FailedOperation.ResourceInOperating');
    fake.releaseTasks();
    await waitFor(async () => (await gz.request('DescribeTaskStatus', { TaskId: task.RequestId })).Status === 0, 'CLB task');
    expect(await servedSerial(fake.listenerPort(sni.lb, sni.listener), 'api.example.com')).toBe(third.serial);
    // www.example.com never had a certificate bound: the handshake fails, as on a rule without one.
    expect(await servedSerial(fake.listenerPort(sni.lb, sni.listener), 'www.example.com')).toMatch(/^error: /);
    expect(await codeOf(client('clb', '2018-03-17', { region: 'ap-shanghai' }).request('DescribeListeners', { LoadBalancerId: 'lb-web' }))).toBe('InvalidParameter.LBIdNotFound');
  });

  it('CDN: UpdateDomainConfig deploys asynchronously; a failed task leaves the old certificate served; DeployCertificateInstance checks the instance format', async () => {
    const cdn = client('cdn', '2018-06-06');
    const pair = await make(['cdn.example.com'], 'cdn4');
    const id = (await ssl().request('UploadCertificate', { CertificatePublicKey: pair.cert, CertificatePrivateKey: pair.key })).CertificateId;
    fake.faults.taskFailures = 1;
    fake.faults.holdTasks = true;
    await cdn.request('UpdateDomainConfig', { Domain: 'cdn.example.com', Https: { Switch: 'on', CertInfo: { CertId: id } } });
    expect(await codeOf(cdn.request('UpdateDomainConfig', { Domain: 'cdn.example.com', Https: { Switch: 'on', CertInfo: { CertId: id } } }))).toBe('ResourceInUse.CdnOpInProgress');
    fake.releaseTasks();
    const config = async () => (await cdn.request('DescribeDomainsConfig', { Filters: [{ Name: 'domain', Value: ['cdn.example.com'] }] })).Domains[0];
    await waitFor(async () => (await config()).Status === 'online', 'CDN online');
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(old.serial);
    await cdn.request('UpdateDomainConfig', { Domain: 'cdn.example.com', Https: { Switch: 'on', CertInfo: { CertId: id } } });
    await waitFor(async () => (await config()).Https.CertInfo?.CertId === id, 'CDN certificate');
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(pair.serial);
    expect(await codeOf(cdn.request('UpdateDomainConfig', { Domain: 'nope.example.com', Https: { Switch: 'off' } }))).toBe('ResourceNotFound.CdnHostNotExists');

    const gz = client('ssl', '2019-12-05', { region: 'ap-guangzhou' });
    expect(await codeOf(gz.request('DeployCertificateInstance', { CertificateId: id, ResourceType: 'clb', InstanceIdList: ['lb-web|lbl-sni'] }))).toBe(
      'FailedOperation.CertificateDeployInstanceFormatError',
    );
    const d = await gz.request('DeployCertificateInstance', { CertificateId: id, ResourceType: 'clb', InstanceIdList: ['lb-web|lbl-sni|www.example.com'] });
    await waitFor(async () => (await ssl().request('DescribeHostDeployRecordDetail', { DeployRecordId: String(d.DeployRecordId) })).SuccessTotalCount === 1, 'deploy record');
    expect(await servedSerial(fake.listenerPort(sni.lb, sni.listener), 'www.example.com')).toBe(pair.serial);
  });
});
