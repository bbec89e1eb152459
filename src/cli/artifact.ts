import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FakecriError } from '../domain/errors';
import { parseReference } from '../images/reference';
import { pullArtifact, pushArtifact } from '../oci/artifact';
import { CredentialStore, type Credentials } from '../oci/credentials';
import { SECCOMP_CONFIG } from '../oci/media-types';
import { RegistryClient } from '../oci/registry-client';

interface ClientFlags {
  insecure?: boolean;
  authFile?: string;
  username?: string;
  password?: string;
  timeout?: string;
}

// `fakecri artifact push|pull`: publish and read seccomp profiles as OCI
// artifacts, in the shape CRI-O pulls, without oras.
export function registerArtifactCommands(program: Command): void {
  const artifact = program.command('artifact').description('push and pull seccomp profiles as OCI artifacts (what CRI-O pulls)');

  withClientFlags(
    artifact
      .command('push')
      .description('publish FILE as `oras push --config config.json:<type> REF FILE` does')
      .argument('<ref>', 'where to push, e.g. 127.0.0.1:5000/profiles/strict:v1')
      .argument('<file>', 'the seccomp profile (JSON)')
      .option('--config-media-type <type>', 'the config media type', SECCOMP_CONFIG)
      .option('--annotation <key=value>', 'a manifest annotation (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[]),
  ).action(async (ref: string, file: string, opts: ClientFlags & { configMediaType: string; annotation?: string[] }) => {
    await run(ref, opts, async (client) => {
      const annotations: Record<string, string> = {};
      for (const a of opts.annotation ?? []) {
        const eq = a.indexOf('=');
        if (eq <= 0) throw new FakecriError('INVALID_ARGUMENT', `--annotation ${JSON.stringify(a)} is not key=value`);
        annotations[a.slice(0, eq)] = a.slice(eq + 1);
      }
      const data = readInput(file);
      const pushed = await pushArtifact(client, ref, file, data, { configMediaType: opts.configMediaType, annotations });
      process.stdout.write(`Pushed ${ref}\nDigest: ${pushed.manifestDigest}\n`);
    });
  });

  withClientFlags(
    artifact
      .command('pull')
      .description("print the profile REF names (its first layer), checked as CRI-O checks it")
      .argument('<ref>', 'the artifact, by tag or digest')
      .option('--config-media-type <type>', 'the config media type required; "" for none', SECCOMP_CONFIG)
      .option('-o, --output <file>', 'write the profile to a file instead of stdout'),
  ).action(async (ref: string, opts: ClientFlags & { configMediaType: string; output?: string }) => {
    await run(ref, opts, async (client) => {
      const pulled = await pullArtifact(client, ref, { configMediaType: opts.configMediaType });
      if (opts.output) writeFileSync(opts.output, pulled.data);
      else process.stdout.write(pulled.data);
    });
  });
}

function withClientFlags(cmd: Command): Command {
  return cmd
    .option('--insecure', "speak plain HTTP to the reference's registry (HTTPS is verified otherwise)")
    .option('--auth-file <file>', 'docker config.json with credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)')
    .option('-u, --username <user>', 'log in with this user (Basic, or for the token server)')
    .option('-p, --password <password>', "the user's password")
    .option('--timeout <seconds>', 'give up on each request after this long', '30');
}

async function run(ref: string, flags: ClientFlags, body: (client: RegistryClient) => Promise<void>): Promise<void> {
  let client: RegistryClient | undefined;
  try {
    const domain = parseReference(ref, 'reference').domain;
    const override: Credentials | undefined = flags.username ? { username: flags.username, password: flags.password ?? '' } : undefined;
    client = new RegistryClient({
      insecure: flags.insecure ? [domain] : [],
      credentials: override ? undefined : CredentialStore.load(flags.authFile),
      override,
      timeoutMs: Number(flags.timeout) * 1000 || 30_000,
    });
    await body(client);
  } catch (err) {
    if (!(err instanceof FakecriError)) throw err;
    process.stderr.write(`fakecri: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await client?.close();
  }
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new FakecriError('INVALID_ARGUMENT', `read ${file}: ${(err as Error).message}`);
  }
}
