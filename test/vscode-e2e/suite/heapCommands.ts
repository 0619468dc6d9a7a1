/**
 * The heap and export commands on a sample server attached by inspector URL, bots playing:
 * "Take Heap Snapshot" (confirmed, so no modal) writes a snapshot V8's format describes,
 * "Sample Allocations" a `.heapprofile`, "Export Heap Files…" copies both, and "Export Async
 * Snapshot (JSON)…" writes the sites, the heartbeat leak at its TypeScript line among them.
 * Observed as a user would: through the files written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { SiteReport } from '../../../src/protocol/asyncSnapshot';
import type { HeapFile, SampleAllocationsResult, TargetState } from '../../../src/protocol/lsp';
import type { InspectionReport } from '../../../src/protocol/report';
import { HEARTBEAT_LEAK, lineOf, startBots, startSample, type SampleTarget } from '../sampleTarget';
import { e2eDir, nodeBinary } from './environment';
import { contributes, eventually, workspaceRoot } from './helpers';

const COMMANDS = ['leakInspector.attachToUrl', 'leakInspector.takeHeapSnapshot', 'leakInspector.sampleAllocations', 'leakInspector.exportHeapFiles', 'leakInspector.exportSnapshot'];

/** The little of V8's `.heapsnapshot` format the test reads. */
interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] }; node_count: number };
  nodes: number[];
  strings: string[];
}

export function defineHeapCommandTests(): void {
  describe('heap snapshot, allocation sampling and exports on an attached server', function () {
    let root: string;
    let sample: SampleTarget | undefined;
    let bots: { stop(): Promise<void> } | undefined;
    let target: TargetState;
    let outDir: string;
    const taken: HeapFile[] = [];

    before(async function () {
      if (!COMMANDS.every(contributes)) return this.skip();
      root = workspaceRoot();
      outDir = fs.mkdtempSync(path.join(e2eDir(), 'heap-exports-'));
      sample = await startSample({ root, node: nodeBinary(), inspector: 'start' });
      bots = startBots({ root, node: nodeBinary(), port: sample.port, players: 10, durationS: 120 });
      const attached = await vscode.commands.executeCommand<TargetState | undefined>('leakInspector.attachToUrl', sample.inspectorUrl());
      assert.ok(attached, `attached to ${sample.inspectorUrl()}`);
      target = attached;
    });

    after(async () => {
      await vscode.commands.executeCommand('leakInspector.detach').then(undefined, () => undefined);
      await bots?.stop();
      await sample?.stop();
    });

    it('Take Heap Snapshot writes a V8 heap snapshot of the server, with its classes', async () => {
      const file = await vscode.commands.executeCommand<HeapFile | undefined>('leakInspector.takeHeapSnapshot', { targetId: target.id, confirmed: true });
      assert.ok(file, 'the command returned the file (see the host log for the error it showed)');
      assert.equal(file.kind, 'heapsnapshot');
      assert.match(path.basename(file.file), /\.heapsnapshot$/);
      assert.equal(fs.statSync(file.file).size, file.bytes, 'the size reported is the size on disk');
      const snapshot = JSON.parse(fs.readFileSync(file.file, 'utf8')) as HeapSnapshotJson;
      assert.ok(snapshot.snapshot.node_count > 1000, `${snapshot.snapshot.node_count} objects`);
      assert.equal(snapshot.nodes.length, snapshot.snapshot.node_count * snapshot.snapshot.meta.node_fields.length, 'every node is there');
      // The sample's own classes are in the heap: it is the server's heap, not the editor's.
      for (const name of ['PlayerSession', 'GameServer']) assert.ok(snapshot.strings.includes(name), `${name} in the snapshot's strings`);
      taken.push(file);
    });

    it('Sample Allocations writes a .heapprofile with a call tree and samples, and maps its top sites', async () => {
      const result = await vscode.commands.executeCommand<SampleAllocationsResult | undefined>('leakInspector.sampleAllocations', { targetId: target.id, durationMs: 2000 });
      assert.ok(result, 'the command returned the sampling (see the host log for the error it showed)');
      assert.equal(result.file.kind, 'heapprofile');
      assert.match(path.basename(result.file.file), /\.heapprofile$/);
      const profile = JSON.parse(fs.readFileSync(result.file.file, 'utf8')) as { head?: { callFrame?: unknown; children?: unknown[] }; samples?: unknown[] };
      assert.ok(profile.head?.callFrame && Array.isArray(profile.head.children), 'a call tree (head)');
      assert.ok(Array.isArray(profile.samples) && profile.samples.length > 0, `${profile.samples?.length} samples`);
      assert.ok(result.topSites.length > 0, 'top allocation sites');
      taken.push(result.file);
    });

    it('Export Heap Files copies every heap file taken into the folder given', async () => {
      assert.equal(taken.length, 2, 'the two earlier tests produced their files');
      const written = await vscode.commands.executeCommand<string[]>('leakInspector.exportHeapFiles', outDir);
      assert.deepEqual(written.map((file) => path.basename(file)).sort(), taken.map((file) => path.basename(file.file)).sort());
      for (const original of taken) {
        const copy = path.join(outDir, path.basename(original.file));
        assert.equal(fs.statSync(copy).size, original.bytes, `${copy} is a whole copy`);
      }
    });

    it('Export Async Snapshot (JSON) writes the sites, the heartbeat leak at its TypeScript line among them', async () => {
      const file = path.join(outDir, 'snapshot.json');
      const line = lineOf(root, HEARTBEAT_LEAK.file, HEARTBEAT_LEAK.text);
      // Sessions of players who joined before the attach carry no creation stack: wait for a
      // snapshot that has the heartbeats of players who joined since (the bots keep coming).
      await eventually('a snapshot with the heartbeat site at its TypeScript line', async () => {
        const state = await vscode.commands.executeCommand<{ targets: TargetState[] } | undefined>('leakInspector.takeSnapshot', target.id);
        const sites = state?.targets.flatMap((candidate) => candidate.threads.flatMap((thread) => thread.report?.sites ?? [])) ?? [];
        return sites.some((site) => isHeartbeat(site, root, line)) ? true : undefined;
      });
      const written = await vscode.commands.executeCommand<string | undefined>('leakInspector.exportSnapshot', file);
      assert.equal(written, file);
      const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as InspectionReport;
      assert.equal(exported.format, 'leak-inspector-report');
      assert.equal(exported.schemaVersion, 2);
      assert.equal(exported.target.address, sample!.inspectorUrl());
      assert.ok(
        exported.suspects.some((suspect) => suspect.kind === 'async' && suspect.location?.line === line && suspect.location.path === path.join(root, HEARTBEAT_LEAK.file)),
        'the heartbeat line is a ranked suspect',
      );
      const sites = exported.threads.flatMap((thread) => thread.sites);
      assert.ok(sites.length > 0, 'sites');
      const heartbeat = sites.find((site) => isHeartbeat(site, root, line));
      assert.ok(
        heartbeat,
        `no interval site at ${HEARTBEAT_LEAK.file}:${line} among ${sites.map((site) => `${site.type} ${site.location?.path}:${site.location?.line}`).join(', ')}`,
      );
      assert.ok(heartbeat.count > 0);
      assert.ok(heartbeat.stack.some((frame) => frame.path.endsWith('player-session.ts')), 'the creation stack is in TypeScript');
    });
  });
}

/** The heartbeat leak's site: intervals created at `this.heartbeat = setInterval(` (1-based `line`). */
function isHeartbeat(site: SiteReport, root: string, line: number): boolean {
  return site.type === 'Interval' && site.location?.path === path.join(root, HEARTBEAT_LEAK.file) && site.location.line === line;
}
