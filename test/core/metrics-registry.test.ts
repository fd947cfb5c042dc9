import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/core/metrics/registry.js';

describe('metrics registry', () => {
  it('records the same series through labels and through a kept series handle', () => {
    const registry = createMetricsRegistry();
    const counter = registry.counter('c_total', 'A counter.', ['route']);
    const histogram = registry.histogram('h_seconds', 'A histogram.', ['route'], [0.1, 1]);
    const kept = counter.series({ route: '/a' });
    kept.inc();
    kept.inc(2);
    counter.inc({ route: '/a' });
    const timed = histogram.series({ route: '/a' });
    timed.observe(0.05);
    histogram.observe({ route: '/a' }, 0.5);
    timed.observe(5);
    const text = registry.render();
    expect(text).toContain('c_total{route="/a"} 4\n');
    expect(text).toContain('h_seconds_bucket{route="/a",le="0.1"} 1\n');
    expect(text).toContain('h_seconds_bucket{route="/a",le="1"} 2\n');
    expect(text).toContain('h_seconds_bucket{route="/a",le="+Inf"} 3\n');
    expect(text).toContain('h_seconds_sum{route="/a"} 5.55\n');
    expect(text).toContain('h_seconds_count{route="/a"} 3\n');
  });

  it('folds label sets past the series limit into one `other` series, kept handles included', () => {
    const registry = createMetricsRegistry();
    const counter = registry.counter('c_total', 'A counter.', ['id']);
    for (let i = 0; i < 2000; i++) counter.inc({ id: String(i) });
    counter.series({ id: 'late' }).inc();
    counter.inc({ id: 'later' });
    const text = registry.render();
    expect(text).toContain('c_total{id="other"} 2\n');
    expect(text).not.toContain('late');
  });
});
