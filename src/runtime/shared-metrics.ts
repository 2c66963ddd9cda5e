/**
 * Collectors looked up before they are created on a metrics registry: several controllers on one
 * registry (tests run several managers in one process) share them instead of failing on a
 * second registration of the same name.
 */
import { Counter, Gauge, Histogram, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration, type Registry } from 'prom-client';

type Shared<C> = Omit<C, 'registers'>;

export function sharedCounter<L extends string = string>(registry: Registry, config: Shared<CounterConfiguration<L>>): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

export function sharedGauge<L extends string = string>(registry: Registry, config: Shared<GaugeConfiguration<L>>): Gauge<L> {
  return (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

export function sharedHistogram<L extends string = string>(registry: Registry, config: Shared<HistogramConfiguration<L>>): Histogram<L> {
  return (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram({ ...config, registers: [registry] });
}
