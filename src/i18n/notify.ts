/** The catalog's section for alert messages (src/ops/notify/messages.ts lays them out). */
export interface NotifyMessages {
  failureTitle(name: string): string;
  successTitle(name: string): string;
  expiringTitle(name: string, days: number): string;
  testTitle: string;
  many(n: number): string;
  /** Between a label and its value. */
  labelSep: string;
  names: string;
  stage: string;
  stages: { issue: string; deploy: string };
  error: string;
  expires: string;
  expiresValue(days: number, at: string): string;
  none: string;
  where: string;
  why: string;
  expiringTodo(rerun: string): string;
  validUntil: string;
  deployed(yes: boolean): string;
  status: string;
  todo: string;
  testText(channel: string, host: string): string;
  nothing: string;
  fallbackTitle(name: string): string;
  fallbackFrom: string;
  fallbackTo: string;
  fallbackTodo: string;
  storeDownTitle(host: string): string;
  storeUpTitle(host: string): string;
  store: string;
  since: string;
  storeDownTodo: string;
  behindTitle(name: string, node: string): string;
  host: string;
  serves: string;
  current: string;
  nothingDeployed: string;
  behindTodo(node: string): string;
  /** What a person should do after a failure, by error code; short, concrete, no secrets. */
  advice: { deploy(rerun: string): string; DNS_AUTH(rerun: string): string; PROPAGATION(rerun: string): string; ACME_RATE_LIMITED: string; other(rerun: string): string };
}

export const notifyEn: NotifyMessages = {
  failureTitle: (n) => `certkeeper: renewing ${n} failed`,
  successTitle: (n) => `certkeeper: ${n} renewed`,
  expiringTitle: (n, d) => (d < 0 ? `certkeeper: ${n} has EXPIRED` : `certkeeper: ${n} expires in ${d} day${d === 1 ? '' : 's'}`),
  testTitle: 'certkeeper: test message',
  many: (n) => `certkeeper: ${n} events`,
  labelSep: ': ',
  names: 'Names',
  stage: 'Failed while',
  stages: { issue: 'issuing from the CA', deploy: 'deploying to the server' },
  error: 'Error',
  expires: 'Certificate in use',
  expiresValue: (d, at) => (d < 0 ? `EXPIRED ${-d} days ago (${at})` : `expires in ${d} days (${at})`),
  none: 'no certificate in use yet',
  where: 'In use at',
  why: 'Not replaced because',
  expiringTodo: (rerun) => `Act before it expires: fix what the line above says, then run ${rerun} (add --force to renew before its window); certkeeper status shows each certificate's state.`,
  validUntil: 'Valid until',
  deployed: (yes) => (yes ? 'deployed and the server reloaded' : 'stored (no deploy target)'),
  status: 'Status',
  todo: 'What to do',
  testText: (c, h) => `Channel "${c}" on ${h} works. certkeeper will send alerts here.`,
  nothing: 'nothing; this is for your records',
  fallbackTitle: (n) => `certkeeper: ${n} was issued by a fallback CA`,
  fallbackFrom: 'CA that failed',
  fallbackTo: 'Issued by',
  fallbackTodo: 'Nothing for now; the next renewal tries the first CA again. If this repeats, check the first CA (status page, network, proxy).',
  storeDownTitle: (h) => `certkeeper: ${h} cannot reach the certificate store`,
  storeUpTitle: (h) => `certkeeper: ${h} reaches the certificate store again`,
  store: 'Store',
  since: 'Since',
  storeDownTodo: 'Deployed certificates stay as they are and certkeeper retries by itself. Check the database (is it up, does the network reach it, is the password right); renewals wait until it is back.',
  behindTitle: (n, node) => `certkeeper: ${node} still serves an old ${n}`,
  host: 'Host',
  serves: 'Serves serial',
  current: 'Current serial',
  nothingDeployed: 'nothing deployed yet',
  behindTodo: (node) => `On ${node}: check that certkeeper run is running and look at its log (certkeeper status shows every host); a failing deploy names its error above.`,
  advice: {
    deploy: (rerun) => `Run nginx -t to see the configuration error, fix it, then run ${rerun}; the old certificate is still in use.`,
    DNS_AUTH: (rerun) => `Check the DNS provider credentials (valid, allowed to edit records), then run ${rerun}.`,
    PROPAGATION: (rerun) => `The TXT record did not become visible: check the domain's NS records point at this DNS provider, then run ${rerun}.`,
    ACME_RATE_LIMITED: 'The CA is rate-limiting; certkeeper retries after the limit ends. Act only if expiry is close.',
    other: (rerun) => `Fix the cause above, then run ${rerun}; the deployed certificate stays until a renewal succeeds.`,
  },
};

export const notifyZhCN: NotifyMessages = {
  failureTitle: (n) => `certkeeper：证书 ${n} 续期失败`,
  successTitle: (n) => `certkeeper：证书 ${n} 已续期`,
  expiringTitle: (n, d) => (d < 0 ? `certkeeper：证书 ${n} 已过期` : `certkeeper：证书 ${n} 还有 ${d} 天过期`),
  testTitle: 'certkeeper：测试消息',
  many: (n) => `certkeeper：${n} 条通知`,
  labelSep: '：',
  names: '域名',
  stage: '失败环节',
  stages: { issue: '向 CA 申请证书', deploy: '部署到服务器' },
  error: '错误',
  expires: '当前在用证书',
  expiresValue: (d, at) => (d < 0 ? `已过期 ${-d} 天（${at}）` : `${d} 天后过期（${at}）`),
  none: '尚无在用证书',
  where: '在用位置',
  why: '未被替换的原因',
  expiringTodo: (rerun) => `请在过期前处理：按上一行的原因修复，然后执行 ${rerun}（未到续期窗口时加 --force）；certkeeper status 可查看各证书状态。`,
  validUntil: '有效期至',
  deployed: (yes) => (yes ? '已部署并重载服务器' : '已保存（未配置部署）'),
  status: '状态',
  todo: '处理建议',
  testText: (c, h) => `${h} 上的通知渠道「${c}」工作正常，certkeeper 会把告警发到这里。`,
  nothing: '无需处理',
  fallbackTitle: (n) => `certkeeper：证书 ${n} 由备用 CA 签发`,
  fallbackFrom: '失败的 CA',
  fallbackTo: '签发 CA',
  fallbackTodo: '暂无需处理，下次续期会先试第一个 CA。如反复出现，请检查第一个 CA（状态页、网络、代理）。',
  storeDownTitle: (h) => `certkeeper：${h} 无法连接证书存储`,
  storeUpTitle: (h) => `certkeeper：${h} 已恢复连接证书存储`,
  store: '存储',
  since: '开始时间',
  storeDownTodo: '已部署的证书保持不变，certkeeper 会自动重试。请检查数据库（是否运行、网络是否可达、密码是否正确）；恢复前续期会暂停。',
  behindTitle: (n, node) => `certkeeper：${node} 仍在使用旧的 ${n} 证书`,
  host: '主机',
  serves: '在用序列号',
  current: '最新序列号',
  nothingDeployed: '尚未部署',
  behindTodo: (node) => `请在 ${node} 上确认 certkeeper run 正在运行并查看日志（certkeeper status 可查看每台主机）；若部署失败，错误见上。`,
  advice: {
    deploy: (rerun) => `运行 nginx -t 查看配置错误，修复后执行 ${rerun}；旧证书仍在使用。`,
    DNS_AUTH: (rerun) => `检查 DNS 服务商的 AccessKey/密钥是否有效、有解析权限，修复后执行 ${rerun}。`,
    PROPAGATION: (rerun) => `TXT 记录未生效：检查域名的 NS 是否指向该 DNS 服务商，然后执行 ${rerun}。`,
    ACME_RATE_LIMITED: 'CA 限流，certkeeper 会在限流结束后自动重试；无需操作，除非临近过期。',
    other: (rerun) => `根据上面的错误修复原因，然后执行 ${rerun}；旧证书在续期成功前保持不变。`,
  },
};
