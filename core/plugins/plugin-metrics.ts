/**
 * The metric helpers a plugin gets: prefixed with its name, registered once
 * in the process's registry and handed back as they are on every reload
 * (prom-client refuses a second metric of the same name).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PluginMetrics } from './types.js'

export function pluginMetrics(registry: Registry, plugin: string): PluginMetrics {
  const prefix = `gateway_plugin_${plugin.replace(/[^a-zA-Z0-9_]/g, '_')}_`
  return {
    counter(name, help, labelNames = []) {
      const full = prefix + name
      const counter =
        (registry.getSingleMetric(full) as Counter<string> | undefined) ??
        new Counter({ name: full, help, labelNames, registers: [registry] })
      return { inc: (labels = {}, value = 1) => counter.inc(labels, value) }
    },
    histogram(name, help, labelNames = [], buckets) {
      const full = prefix + name
      return (
        (registry.getSingleMetric(full) as Histogram<string> | undefined) ??
        new Histogram({ name: full, help, labelNames, registers: [registry], ...(buckets && { buckets }) })
      )
    },
    gauge(name, help, labelNames = []) {
      const full = prefix + name
      const gauge =
        (registry.getSingleMetric(full) as Gauge<string> | undefined) ??
        new Gauge({ name: full, help, labelNames, registers: [registry] })
      return { set: (labels, value) => gauge.set(labels, value) }
    },
  }
}
