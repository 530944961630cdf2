import { describe, expect, it } from 'vitest';
import { ManualClock } from '../topology/testing/index.js';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, fails fast, probes once when half-open, closes on success', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(clock, { failureThreshold: 3, openMs: 1_000 });
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryPass()).toBe(false);
    clock.advance(1_000);
    expect(b.state).toBe('half-open');
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryPass()).toBe(true);
  });

  it('reopens when the probe fails, and frees the probe slot when a passed call is abandoned', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 500 });
    b.failure();
    clock.advance(500);
    expect(b.tryPass()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    clock.advance(499);
    expect(b.tryPass()).toBe(false);
    clock.advance(1);
    expect(b.tryPass()).toBe(true);
    b.abandon();
    expect(b.tryPass()).toBe(true);
  });
});
