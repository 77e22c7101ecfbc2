//! The overview page: every node and service at a glance, refreshed every two seconds.

use std::time::Duration;

use leptos::prelude::*;

use crate::status::{
    format_bytes, format_clock, format_duration, ClusterStatus, ContainerStatus, Health,
    NodeStatus, ServiceStatus,
};

/// How often the page asks for fresh status. The server answers from its probe cache, so
/// polling costs the cluster nothing.
const REFRESH: Duration = Duration::from_secs(2);

/// The controller's latest view of the cluster.
#[server]
pub async fn get_cluster_status() -> Result<ClusterStatus, ServerFnError> {
    Ok(crate::backend::backend()?.cluster_status())
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    let status = Resource::new(move || tick.get(), |_| get_cluster_status());
    // Effects run only in the browser: the server renders one snapshot, the client keeps it live.
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });

    view! {
        <h1>"Cluster overview"</h1>
        <Transition fallback=|| view! { <p class="empty">"Loading cluster status…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <ClusterView status /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">"Could not load status: " {e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClusterView(status: ClusterStatus) -> impl IntoView {
    let ClusterStatus {
        updated_at_ms,
        note,
        nodes,
        services,
    } = status;
    view! {
        <p class="live" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>
            "Live · updated " <time data-testid="updated">{format_clock(updated_at_ms)}</time>
        </p>
        {note.map(|note| view! { <p class="note">{note}</p> })}
        <section aria-labelledby="services-h">
            <h2 id="services-h">"Services"</h2>
            {if services.is_empty() {
                view! { <p class="empty">"No services configured."</p> }.into_any()
            } else {
                view! {
                    <ul class="services">
                        {services.into_iter().map(|s| view! { <ServiceChip service=s /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="nodes-h">
            <h2 id="nodes-h">"Nodes"</h2>
            <div class="nodes">
                {nodes.into_iter().map(|n| view! { <NodeCard node=n /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
pub(crate) fn HealthBadge(health: Health) -> impl IntoView {
    view! { <span class=format!("badge {}", health.label())>{health.label()}</span> }
}

/// One service's card; `children` (the Health page's queue depth) go last.
#[component]
pub(crate) fn ServiceChip(
    service: ServiceStatus,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let latency = service.latency_ms.map(|ms| format!("{ms:.0} ms"));
    view! {
        <li class="service" data-testid=format!("service-{}-{}", service.node, service.name)>
            <div class="service-head">
                <strong>{service.name.clone()}</strong>
                <HealthBadge health=service.health />
            </div>
            <div class="muted">{service.node.clone()} " · " {service.url.clone()}</div>
            {service.model.map(|m| view! { <div>"Model: " <span class="model">{m}</span></div> })}
            {latency.map(|l| view! { <div class="muted">"Latency " {l}</div> })}
            {service.error.map(|e| view! { <div class="error">{e}</div> })}
            {children.map(|c| c())}
        </li>
    }
}

/// A labelled bar for a fraction in 0..=1.
#[component]
fn Meter(label: &'static str, fraction: f64, text: String) -> impl IntoView {
    let pct = (fraction.clamp(0.0, 1.0) * 100.0).round();
    view! {
        <div class="meter">
            <div class="meter-label"><span>{label}</span><span>{text}</span></div>
            <div class="meter-track" role="meter" aria-label=label aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct>
                <div class="meter-fill" style=format!("width: {pct}%")></div>
            </div>
        </div>
    }
}

/// One node's card; `children` (the Health page's sparklines) go below its meters.
#[component]
pub(crate) fn NodeCard(
    node: NodeStatus,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let NodeStatus {
        name,
        address,
        ssh,
        error,
        latency_ms,
        uptime_secs,
        gpu,
        memory,
        disk,
        containers,
        ..
    } = node;
    view! {
        <article class="node" data-testid=format!("node-{name}") aria-label=format!("Node {name}")>
            <header class="node-head">
                <h3>{name.clone()}</h3>
                <HealthBadge health=ssh />
            </header>
            <div class="muted">
                "SSH " {address}
                {latency_ms.map(|ms| format!(" · {ms:.0} ms"))}
                {uptime_secs.map(|s| format!(" · up {}", format_duration(s)))}
            </div>
            {error.map(|e| view! { <p class="error" role="status">{e}</p> })}
            {gpu.map(|g| {
                let util = g.utilization_pct.unwrap_or(0.0);
                let util_text = g.utilization_pct.map_or("n/a".to_string(), |u| format!("{u:.0}%"));
                let extras = [g.temperature_c.map(|t| format!("{t:.0} °C")), g.power_w.map(|p| format!("{p:.0} W"))]
                    .into_iter().flatten().collect::<Vec<_>>().join(" · ");
                let gpu_mem = match (g.memory_used_mib, g.memory_total_mib) {
                    (Some(used), Some(total)) if total > 0 => Some((used as f64 / total as f64, format!("{} / {}", format_bytes(used * 1024 * 1024), format_bytes(total * 1024 * 1024)))),
                    _ => None,
                };
                view! {
                    <div class="gpu">
                        <div class="muted">{g.name} " " {extras}</div>
                        <Meter label="GPU" fraction=util / 100.0 text=util_text />
                        {gpu_mem.map(|(f, t)| view! { <Meter label="GPU memory" fraction=f text=t /> })}
                    </div>
                }
            })}
            {memory.map(|m| view! {
                <Meter label="Unified memory" fraction=m.used_bytes as f64 / m.total_bytes.max(1) as f64
                    text=format!("{} / {}", format_bytes(m.used_bytes), format_bytes(m.total_bytes)) />
            })}
            {disk.map(|d| view! {
                <Meter label="Disk" fraction=1.0 - d.available_bytes as f64 / d.total_bytes.max(1) as f64
                    text=format!("{} free", format_bytes(d.available_bytes)) />
            })}
            {children.map(|c| c())}
            <h4>"Containers"</h4>
            {if containers.is_empty() {
                view! { <p class="empty">"No containers."</p> }.into_any()
            } else {
                view! {
                    <ul class="containers">
                        {containers.into_iter().map(|c| view! { <ContainerRow container=c /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </article>
    }
}

#[component]
fn ContainerRow(container: ContainerStatus) -> impl IntoView {
    view! {
        <li class=format!("container {}", container.state)>
            <span class="container-name">{container.name}</span>
            <span class="muted">{container.image}</span>
            <span>{container.status}</span>
        </li>
    }
}
