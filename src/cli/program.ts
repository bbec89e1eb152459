import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_NODES } from '../serve/nodes';
import { ConfigError, loadConfig } from '../config/config';
import { registerArtifactCommands } from './artifact';
import { ctlCommand } from './ctl';
import { FakecriError } from '../domain/errors';
import { startNodes, startServer } from '../serve/serve';
import { SocketInUseError } from '../serve/socket';
import { StateFileError } from '../store/persist';
import { CRI_API_TAG, PACKAGE_VERSION } from '../version';

// Every command and flag of the CLI. main.ts runs it; a test checks that the
// README documents exactly these.
export function buildProgram(): Command {
  const program = new Command()
    .name('fakecri')
    .description('A fake CRI runtime for testing kubelets: pods, containers and images as state, disks as real or accounted bytes.')
    .version(PACKAGE_VERSION, '-v, --version', 'print the fakecri version');

  program
    .command('serve')
    .description('serve the CRI RuntimeService and ImageService on a unix socket')
    .option('--socket <path>', 'CRI socket (default: /run/fakecri/fakecri.sock as root, else $XDG_RUNTIME_DIR/fakecri.sock)')
    .option('--state-dir <dir>', 'where state survives restarts (default: /var/lib/fakecri as root, else $XDG_DATA_HOME/fakecri)')
    .option('--config <file>', 'TOML config file; every key has a default (see README)')
    .option('--nodes <n>', 'serve N independent runtimes ("hollow nodes"): sockets <stem>-<i>.sock, state <state-dir>/node-<i> (default: 1, one runtime as without the flag)', parseCount)
    .option('--node-name-prefix <prefix>', 'with --nodes: node i is named <prefix><i>, for fakecri ctl --node (default: fakecri-)')
    .addOption(new Option('--log-level <level>', 'log level (default: from config, else info)').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .action(async (opts: { socket?: string; stateDir?: string; config?: string; logLevel?: string; nodes?: number; nodeNamePrefix?: string }) => {
      try {
        const config = loadConfig(opts.config);
        if (opts.nodeNamePrefix !== undefined && (opts.nodes ?? 1) === 1) throw new ConfigError('--node-name-prefix needs --nodes greater than 1');
        const server = (opts.nodes ?? 1) > 1 ? await startNodes(config, opts) : await startServer(config, opts);
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          process.once(signal, () => {
            server.stop().then(() => process.exit(0));
          });
        }
      } catch (err) {
        if (err instanceof ConfigError || err instanceof SocketInUseError || err instanceof StateFileError || err instanceof FakecriError) {
          process.stderr.write(`fakecri: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
    });

  program
    .command('version')
    .description('print the fakecri version and the CRI API it serves')
    .action(() => {
      process.stdout.write(`fakecri ${PACKAGE_VERSION}\nCRI runtime.v1 (kubernetes/cri-api ${CRI_API_TAG})\n`);
    });

  registerArtifactCommands(program);
  program.addCommand(ctlCommand());
  return program;
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > MAX_NODES) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_NODES}`);
  return n;
}
