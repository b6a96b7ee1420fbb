import { connect, type PeerCertificate } from 'node:tls';

/** Connects to 127.0.0.1:port with SNI `servername` and returns the served leaf certificate. */
export function servedCertificate(port: number, servername = 'localhost', host = '127.0.0.1'): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate(true);
      socket.end();
      resolve(cert);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS probe timed out')));
    socket.on('error', reject);
  });
}
