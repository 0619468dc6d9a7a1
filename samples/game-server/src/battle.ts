/**
 * A room of two players and its battle state machine: WAITING (ready check) → ACTIVE
 * (state-sync tick, match time limit) → FINISHED.
 */
import { randomInt } from 'node:crypto';
import type { LeakSet } from './leaks';
import type { PlayerSession } from './player-session';
import type { ServerMessage } from './protocol';

export type BattleState = 'WAITING' | 'ACTIVE' | 'FINISHED';

/** Every room that is not finished, by id. Module-level, as such registries usually are. */
export const battles = new Map<string, Battle>();

export interface BattleOptions {
  tickMs: number;
  matchTimeoutMs: number;
  readyTimeoutMs: number;
  leaks: LeakSet;
  /** Called once when the battle ends, with the winner (null for a draw or cancellation). */
  onEnd: (battle: Battle, winner: PlayerSession | null, reason: string) => void;
}

const START_HP = 100;
let nextRoom = 1;

export class Battle {
  readonly id = `room-${nextRoom++}`;
  state: BattleState = 'WAITING';
  readonly hp = new Map<PlayerSession, number>();
  private tickNo = 0;
  private tick: NodeJS.Timeout | undefined;
  private matchTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    readonly players: readonly PlayerSession[],
    private readonly options: BattleOptions,
  ) {
    for (const player of players) {
      this.hp.set(player, START_HP);
      player.roomId = this.id;
    }
    battles.set(this.id, this);
  }

  /** Announces the match, waits for everyone to be ready, then starts the battle. */
  async run(): Promise<void> {
    const [a, b] = this.players;
    a.trySend({ type: 'match_found', roomId: this.id, opponent: b.playerId! });
    b.trySend({ type: 'match_found', roomId: this.id, opponent: a.playerId! });
    try {
      await Promise.all(this.players.map((player) => player.waitFor('ready', this.options.readyTimeoutMs)));
    } catch (error) {
      this.broadcast({ type: 'match_cancelled', roomId: this.id, reason: (error as Error).message });
      this.end(null, 'cancelled');
      return;
    }
    if (this.ended) return;
    this.start();
  }

  attack(attacker: PlayerSession, seq: number): number {
    const target = this.players.find((player) => player !== attacker)!;
    const damage = randomInt(5, 16);
    const hp = Math.max(0, this.hp.get(target)! - damage);
    this.hp.set(target, hp);
    attacker.trySend({ type: 'attack_ack', seq, damage });
    if (hp === 0) this.end(attacker, 'knockout');
    return damage;
  }

  /** A player left or dropped: the other one wins by forfeit (or the match is cancelled). */
  forfeit(leaver: PlayerSession): void {
    if (this.ended) return;
    if (this.state === 'WAITING') {
      // The ready check learns about the departure through the leaver's session.
      return;
    }
    const winner = this.players.find((player) => player !== leaver) ?? null;
    this.end(winner, 'forfeit');
  }

  end(winner: PlayerSession | null, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.tick);
    // LEAK(timer): the match time limit keeps running (and holds this room) after an early end.
    if (!this.options.leaks.has('timer')) clearTimeout(this.matchTimer);
    if (this.state === 'ACTIVE') {
      this.broadcast({ type: 'battle_end', roomId: this.id, winner: winner?.playerId ?? null, reason });
    }
    for (const player of this.players) if (player.roomId === this.id) player.roomId = undefined;
    this.options.onEnd(this, winner, reason);
    // LEAK(battle): the end path forgets the state transition, so the room stays ACTIVE
    // in `battles` with both players' sessions and its history retained.
    if (this.options.leaks.has('battle') && this.state === 'ACTIVE') return;
    this.state = 'FINISHED';
    battles.delete(this.id);
  }

  private start(): void {
    this.state = 'ACTIVE';
    this.broadcast({ type: 'battle_start', roomId: this.id });
    this.tick = setInterval(() => this.syncState(), this.options.tickMs);
    this.matchTimer = setTimeout(() => this.end(null, 'time limit'), this.options.matchTimeoutMs);
  }

  private syncState(): void {
    const hp: Record<string, number> = {};
    for (const [player, value] of this.hp) hp[player.playerId!] = value;
    this.broadcast({ type: 'state', tick: ++this.tickNo, hp });
  }

  private broadcast(message: ServerMessage): void {
    for (const player of this.players) player.trySend(message);
  }
}
