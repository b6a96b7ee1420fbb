import type { Command } from 'commander';
import { dockerExec, dockerKill } from '../../deploy/docker-api.js';
import { EXIT, type CliContext } from '../context.js';

/**
 * For the Docker sidecar setup: use as a deploy entry's test and reload commands, e.g.
 *   test:   ["certkeeper", "docker-nginx", "test", "--container", "nginx"]
 *   reload: ["certkeeper", "docker-nginx", "reload", "--container", "nginx"]
 */
export function register(program: Command, ctx: CliContext): void {
  const cmd = program.command('docker-nginx').description('test or reload Nginx in another container through the Docker API');
  const common = (c: Command) =>
    c
      .requiredOption('--container <name>', 'the Nginx container (name or id)')
      .option('--docker-host <url>', 'unix:///var/run/docker.sock, or tcp://HOST:PORT of a socket proxy (default: $DOCKER_HOST or the socket)');
  const host = (o: { dockerHost?: string }) => ({ host: o.dockerHost ?? ctx.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock' });

  common(cmd.command('test').description('run `nginx -t` in the container; exit with its status')).action(async (o: { container: string; dockerHost?: string }) => {
    const r = await dockerExec(host(o), o.container, ['nginx', '-t']);
    ctx.stderr.write(r.output);
    process.exitCode = r.exitCode === 0 ? EXIT.ok : EXIT.failed;
  });
  common(cmd.command('reload').description('send SIGHUP to the container (Nginx reloads its configuration and certificates)')).action(
    async (o: { container: string; dockerHost?: string }) => {
      await dockerKill(host(o), o.container, 'SIGHUP');
    },
  );
}
