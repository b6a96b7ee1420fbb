import type { Command } from 'commander';
import { dockerExec, dockerKill, type DockerTarget } from '../../deploy/docker.js';
import { EXIT, type CliContext } from '../context.js';

/**
 * For a sidecar whose deploy entry runs commands: test and reload Nginx in another container through
 * the Docker Engine API (or a socket proxy's TCP address), e.g.
 *   test:   ["certkeeper", "docker-nginx", "test", "--container", "nginx"]
 *   reload: ["certkeeper", "docker-nginx", "reload", "--container", "nginx"]
 * `deploy.<name>.mode: docker` does the same from the configuration; both use src/deploy/docker.ts.
 */
export function register(program: Command, ctx: CliContext): void {
  const cmd = program.command('docker-nginx').description('test or reload Nginx in another container through the Docker API');
  const common = (c: Command) =>
    c
      .requiredOption('--container <name>', 'the Nginx container (name or id)')
      .option('--docker-host <url>', 'unix:///var/run/docker.sock, or tcp://HOST:PORT of a socket proxy (default: $DOCKER_HOST or the socket)')
      .option('--api-version <v>', 'Engine API version', '1.41');
  const target = (o: { container: string; dockerHost?: string; apiVersion: string }): DockerTarget => ({
    socket: o.dockerHost ?? ctx.env.DOCKER_HOST ?? '/var/run/docker.sock',
    apiVersion: o.apiVersion,
    container: o.container,
  });

  common(cmd.command('test').description('run `nginx -t` in the container; exit with its status')).action(async (o: { container: string; dockerHost?: string; apiVersion: string }) => {
    const r = await dockerExec(target(o), ['nginx', '-t'], 60_000);
    ctx.stderr.write(r.stdout + r.stderr);
    process.exitCode = r.exitCode === 0 ? EXIT.ok : EXIT.failed;
  });
  common(cmd.command('reload').description('send SIGHUP to the container (Nginx reloads its configuration and certificates)')).action(
    async (o: { container: string; dockerHost?: string; apiVersion: string }) => {
      await dockerKill(target(o), 'SIGHUP');
    },
  );
}
