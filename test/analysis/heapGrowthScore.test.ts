/** The heap-growth score: kept objects, held by a long-lived variable, and what piled up because of another class. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreHeapGrowth } from '../../src/analysis';
import type { HeapConstructorDiff, HeapObjectRef, RetainerPath, RetainerStep } from '../../src/protocol/heap';

const object = (className: string, id: number): HeapObjectRef => ({ id, className, name: className, selfSize: 32, retainedSize: 64 });
const step = (from: HeapObjectRef, edgeType: RetainerStep['edgeType'], edgeName: string, edgeLabel: string): RetainerStep => ({ from, edgeType, edgeName, edgeLabel });
const diff = (name: string, newCount: number, deletedCount: number, sizeDelta: number): HeapConstructorDiff => ({
  name,
  newCount,
  deletedCount,
  deltaCount: newCount - deletedCount,
  allocSize: sizeDelta,
  freedSize: 0,
  sizeDelta,
});

const battle = object('Battle', 10);
const battlePath: RetainerPath = {
  target: battle,
  steps: [step(object('system / Context', 1), 'context', 'battles', '->battles'), step(object('Map', 2), 'internal', 'table', '{table}'), step(object('(array)', 3), 'internal', '1', '{value of "room-1"}')],
  text: '',
};
const sessionPath: RetainerPath = { target: object('PlayerSession', 11), steps: [...battlePath.steps, step(battle, 'property', 'players', '.players'), step(object('Array', 4), 'element', '0', '[0]')], text: '' };
const grown = new Set(['Battle', 'PlayerSession']);

test('objects kept in a module-level Map score high, with each factor explained', () => {
  const { score, severity, factors } = scoreHeapGrowth(diff('Battle', 300, 0, 300 * 96), battlePath, grown);
  assert.equal(severity, 'high', JSON.stringify(factors));
  assert.equal(score, factors.reduce((sum, f) => sum + f.points, 0));
  assert.match(factors.find((f) => f.name === 'held-by')!.explanation, /->battles/);
});

test('objects held through another class that piled up are its consequence, not the leak', () => {
  const cause = scoreHeapGrowth(diff('Battle', 300, 0, 300 * 96), battlePath, grown);
  const consequence = scoreHeapGrowth(diff('PlayerSession', 600, 0, 600 * 104), sessionPath, grown);
  assert.equal(consequence.factors.find((f) => f.name === 'held-by')!.points, 0);
  assert.match(consequence.factors.find((f) => f.name === 'held-by')!.explanation, /held by a Battle/);
  assert.ok(cause.score > consequence.score, `${cause.score} vs ${consequence.score}`);
});

test('churn (as many freed as created) is no evidence', () => {
  const { score, severity } = scoreHeapGrowth(diff('Packet', 500, 500, 0), battlePath, new Set(['Packet']));
  assert.equal(severity, 'low');
  assert.ok(score <= 30, String(score));
});
