/**
 * Attach and detach. Attaching runs code in the target, so it needs a trusted workspace (the
 * commands' `enablement` hides them; this checks again for direct calls), and a non-loopback
 * host needs the user's explicit yes every time, even when the settings allow it.
 */
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import {
  AttachRequest,
  DetachRequest,
  ListProcessesRequest,
  type LeakInspectorErrorData,
  type NodeProcessInfo,
  type TargetState,
} from '../protocol/lsp';
import { pidOfDebugSession, type DebugSessions } from './debugSessions';

export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Leak Inspector: trust this workspace to ${action}.`);
  return false;
}

export class AttachCommands {
  constructor(
    private readonly client: LanguageClient,
    private readonly debugSessions: DebugSessions,
  ) {}

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.commands.registerCommand('leakInspector.attachToProcess', (pid?: number) => this.attachToProcess(pid)),
      vscode.commands.registerCommand('leakInspector.attachToUrl', (target?: string) => this.attachToUrl(target)),
      vscode.commands.registerCommand('leakInspector.attachToDebugSession', () => this.attachToDebugSession()),
      vscode.commands.registerCommand('leakInspector.detach', (target?: string | { item?: { id?: string } }) => this.detach(target)),
    );
  }

  /** `pid`: skip the picker. Processes without an inspector get one switched on (SIGUSR1). */
  async attachToProcess(pid?: number): Promise<TargetState | undefined> {
    if (!requireTrust('attach to a process')) return undefined;
    const chosen = pid ?? (await this.pickProcess());
    return chosen === undefined ? undefined : this.attach(`pid:${chosen}`);
  }

  /** `target`: `host:port` or a ws:// URL; skips the input box. */
  async attachToUrl(target?: string): Promise<TargetState | undefined> {
    if (!requireTrust('attach to an inspector')) return undefined;
    const spec =
      target ??
      (await vscode.window.showInputBox({
        title: 'Attach to Inspector',
        prompt: 'Inspector address: HOST:PORT, PORT or a ws:// URL (as printed by node --inspect)',
        placeHolder: '127.0.0.1:9229',
        validateInput: (value) => (value.trim() === '' ? 'Enter an address' : undefined),
      }));
    return spec === undefined ? undefined : this.attach(spec.trim());
  }

  async attachToDebugSession(): Promise<TargetState | undefined> {
    if (!requireTrust('attach to a debugged process')) return undefined;
    const session = vscode.debug.activeDebugSession;
    if (!session) {
      void vscode.window.showWarningMessage('Leak Inspector: no debug session is active.');
      return undefined;
    }
    const target = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Leak Inspector: finding the debugged process' }, () =>
      pidOfDebugSession(session, this.debugSessions),
    );
    if (!target) {
      void vscode.window.showErrorMessage(`Leak Inspector: cannot tell which process the debug session "${session.name}" runs. Use "Attach to Node Process…" instead.`);
      return undefined;
    }
    return this.attach(target);
  }

  /** A target id or a Targets view item: that target; nothing: every target. */
  async detach(target?: string | { item?: { id?: string } }): Promise<void> {
    const targetId = typeof target === 'string' ? target : /^target\/([^/]+)$/.exec(target?.item?.id ?? '')?.[1];
    try {
      await this.client.sendRequest(DetachRequest, targetId === undefined ? {} : { targetId });
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
    }
  }

  /** Attaches, asking for consent when the server says the host is remote. Errors are shown, not thrown. */
  async attach(target: string, consentedRemoteHosts: string[] = []): Promise<TargetState | undefined> {
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Leak Inspector: attaching to ${target}…` },
        () => this.client.sendRequest(AttachRequest, { target, consentedRemoteHosts }),
      );
    } catch (error) {
      const data = error instanceof ResponseError ? (error.data as LeakInspectorErrorData | undefined) : undefined;
      if (data?.code === 'REMOTE_HOST_NEEDS_CONSENT' && data.host && !consentedRemoteHosts.includes(data.host)) {
        const answer = await vscode.window.showWarningMessage(
          `Attach to ${data.host}?`,
          {
            modal: true,
            detail:
              `${data.host} is not this machine. An inspector connection gives full control of the process ` +
              `(it can run any code there), and the traffic is not encrypted. Attach only if you trust ${data.host} and the network to it.`,
          },
          'Attach',
        );
        return answer === 'Attach' ? this.attach(target, [...consentedRemoteHosts, data.host]) : undefined;
      }
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async pickProcess(): Promise<number | undefined> {
    const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { pid: number }>();
    pick.title = 'Attach to Node Process';
    pick.placeholder = 'Pick a Node.js process (its inspector is switched on if it is off)';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.busy = true;
    pick.show();
    try {
      const processes = await this.client.sendRequest(ListProcessesRequest);
      pick.items = processes.map(processItem);
      pick.busy = false;
      if (processes.length === 0) pick.placeholder = 'No Node.js process found';
      return await new Promise<number | undefined>((resolve) => {
        pick.onDidAccept(() => resolve(pick.selectedItems[0]?.pid));
        pick.onDidHide(() => resolve(undefined));
      });
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: cannot list processes: ${(error as Error).message}`);
      return undefined;
    } finally {
      pick.dispose();
    }
  }
}

function processItem(process: NodeProcessInfo): vscode.QuickPickItem & { pid: number } {
  return {
    pid: process.pid,
    label: `$(server-process) ${process.pid}`,
    description: process.inspectorPort ? `inspector on port ${process.inspectorPort}` : 'inspector off: switched on with SIGUSR1',
    detail: process.commandLine,
  };
}
