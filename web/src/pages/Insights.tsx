// Insights: the analytics routes as charts, the follow-ups agenda and the calendar-feed link, all
// from the real API (shapes: web/src/api/types.ts, the generated types; formulas:
// docs/analytics.md). Every figure shows its n; medians and percentiles below n = 5 are null in the
// API and shown as "not enough data". A list the API cuts (skills, sources, tags, recurring
// improvements: 100; the agenda: 1,000) says how many it shows of its total. A route that answers
// 404 (an older API) shows "not available yet" for its panel only — but GET /calendar-feed's 404
// `/problems/not-found` means "no calendar address", shown as such.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  createCalendarFeed, getCalendarFeedStatus, getFollowUps, getRejections, getSkills, getSummary, revokeCalendarFeed,
  type Maybe, type Period,
} from '../api/analytics';
import { label, type Agenda, type CalendarFeedStatus, type Group, type Rate, type RejectionSummary, type SkillSummary, type Summary } from '../api/types';
import { Bars, Columns, Figure, percent, Sparkline } from '../components/charts';
import { LoadFailed } from '../components/load';
import { say, today } from '../state';

function Unavailable({ what, route }: { what: string; route: string }) {
  return (
    <div class="unavailable" data-unavailable={route}>
      <p><strong>{what}: not available yet.</strong> This API does not serve <code>{route}</code> yet; this panel lights up when it does.</p>
    </div>
  );
}

/** A panel of figures; `retry` loads its route again after an error. */
function Section<T>({ title, id, route, data, retry, children }: {
  title: string; id: string; route: string; data: Maybe<T> | null; retry: () => void; children: (value: T) => preact.ComponentChildren;
}) {
  return (
    <section class="insight" data-section={id} aria-labelledby={`h-${id}`}>
      <h2 id={`h-${id}`}>{title}</h2>
      {data === null ? <p aria-busy="true">Loading…</p>
        : data.state === 'unavailable' ? <Unavailable what={title} route={route} />
        : data.state === 'error' ? <LoadFailed what={`“${title}”`} error={data.message} retry={retry} />
        : children(data.value)}
    </section>
  );
}

const small = (flag: boolean) => (flag ? <small class="small-sample" title="Fewer than 5: read with care"> small sample</small> : null);
const keyLabel = (key: string | null | undefined, none = 'Not given') => (key ? label(key) : none);

function RateFigure({ name, rate }: { name: string; rate: Rate }) {
  return (
    <div data-rate={name}>
      <dt>{label(name)} rate</dt>
      <dd>{percent(rate.rate)} <small class="n">{rate.count} of n = {rate.n}</small>{small(rate.small_sample)}</dd>
    </div>
  );
}

/** `total`: how many groups there are when the API lists only the largest (by_source, by_tag). */
function Groups({ id, title, groups, total, noun }: { id: string; title: string; groups: Group[]; total?: number; noun?: string }) {
  return (
    <Figure id={id} title={title} n={groups.reduce((a, g) => a + g.n, 0)}>
      {total !== undefined && total > groups.length && <p class="muted" data-shown={id}>The {groups.length} largest of {total} {noun}.</p>}
      <Bars data={groups.map((g) => ({
        label: keyLabel(g.key, 'None'),
        value: Math.round((g.rate ?? 0) * 100),
        note: `${g.count}/${g.n}${g.small_sample ? '*' : ''}`,
      }))} format={(v) => `${v} %`} />
    </Figure>
  );
}

function WindowNote({ from, to }: { from: string; to: string }) {
  return <p class="muted window" data-window={`${from}..${to}`}>{from} – {to}</p>;
}

export function Insights() {
  const [period, setPeriod] = useState<Period>({});
  const [summary, setSummary] = useState<Maybe<Summary> | null>(null);
  const [rejections, setRejections] = useState<Maybe<RejectionSummary> | null>(null);
  const [skills, setSkills] = useState<Maybe<SkillSummary> | null>(null);
  const [followUps, setFollowUps] = useState<Maybe<Agenda> | null>(null);
  // Loads again on Retry, and on Apply even with the same dates.
  const [tries, setTries] = useState(0);
  const [followUpTries, setFollowUpTries] = useState(0);
  const retry = () => setTries((n) => n + 1);
  useEffect(() => {
    // A slow answer for an earlier period must not overwrite the figures of the one applied since.
    let live = true;
    const keep = <T,>(set: (value: T) => void) => (value: T) => { if (live) set(value); };
    setSummary(null); setRejections(null); setSkills(null);
    void getSummary(period).then(keep(setSummary));
    void getRejections(period).then(keep(setRejections));
    void getSkills(period).then(keep(setSkills));
    return () => { live = false; };
  }, [period.from, period.to, tries]);
  useEffect(() => {
    let live = true;
    setFollowUps(null);
    void getFollowUps().then((answer) => { if (live) setFollowUps(answer); });
    return () => { live = false; };
  }, [followUpTries]);

  return (
    <>
      <div class="toolbar">
        <h1>Insights</h1>
        <form class="period" onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          setPeriod({ from: String(data.get('from') || '') || undefined, to: String(data.get('to') || '') || undefined });
          retry();
        }}>
          <label>From <input type="date" name="from" max={today()} /></label>
          <label>To <input type="date" name="to" /></label>
          <button>Apply</button>
        </form>
      </div>
      <p class="muted">Default period: the 90 days ending today. Figures marked <em>small sample</em> (or *) rest on fewer than 5 applications.</p>
      <div class="insights">
        <Section title="Funnel" id="funnel" route="/analytics/summary" data={summary} retry={retry}>
          {(s) => (
            <>
              <WindowNote from={s.window.from} to={s.window.to} />
              <Figure id="funnel" title="Applications reaching each stage" n={s.total}>
                <Bars data={s.funnel.map((f) => ({ label: label(f.stage), value: f.count }))} />
              </Figure>
              <dl class="rates">
                <RateFigure name="response" rate={s.rates.response} />
                <RateFigure name="interview" rate={s.rates.interview} />
                <RateFigure name="offer" rate={s.rates.offer} />
              </dl>
            </>
          )}
        </Section>
        <Section title="Weekly activity" id="weekly" route="/analytics/summary" data={summary} retry={retry}>
          {(s) => (
            <Figure id="weekly" title={`Applications per week (${s.weekly_applications.length} ISO weeks to ${s.window.to})`}
              n={s.weekly_applications.reduce((a, w) => a + w.count, 0)}>
              <Columns data={s.weekly_applications.map((w) => ({ label: w.week, value: w.count }))} />
            </Figure>
          )}
        </Section>
        <Section title="Time to first response" id="time-to-response" route="/analytics/summary" data={summary} retry={retry}>
          {(s) => {
            const t = s.time_to_first_response;
            return (
              <Figure id="time-to-response" title="Days from applying to the first response" n={t.n}>
                {t.median_days === null || t.median_days === undefined
                  ? <p class="muted" data-insufficient>Not enough responses for a median yet (needs n ≥ 5).</p>
                  : <Bars data={[
                      { label: 'Median', value: t.median_days },
                      ...(t.p75_days === null || t.p75_days === undefined ? [] : [{ label: '75th percentile', value: t.p75_days }]),
                    ]} format={(v) => `${v} d`} />}
                <p class="muted" data-waiting={t.waiting}>{t.waiting} still waiting for a response (censored: not in the sample).</p>
              </Figure>
            );
          }}
        </Section>
        <Section title="Where responses come from" id="groups" route="/analytics/summary" data={summary} retry={retry}>
          {(s) => (
            <>
              <Groups id="by-source" title="Response rate by source" groups={s.by_source} total={s.by_source_total} noun="sources" />
              <Groups id="by-work_mode" title="Response rate by work mode" groups={s.by_work_mode} />
              <Groups id="by-tag" title="Response rate by tag" groups={s.by_tag} total={s.by_tag_total} noun="tags" />
            </>
          )}
        </Section>
        <Section title="Rejections" id="rejections" route="/analytics/rejections" data={rejections} retry={retry}>
          {(r) => (
            <>
              <Figure id="rejection-categories" title="By category" n={r.total}>
                <Bars data={r.by_category.map((c) => ({ label: keyLabel(c.key), value: c.count }))} />
              </Figure>
              <Figure id="rejection-stages" title="By stage" n={r.total}>
                <Bars data={r.by_stage.map((c) => ({ label: keyLabel(c.key), value: c.count }))} />
              </Figure>
              <Figure id="rejection-reasons" title="Top reasons" n={r.total}>
                <Bars data={r.top_reasons.map((c) => ({ label: c.reason, value: c.count }))} />
              </Figure>
              <p data-without-feedback>Nothing to learn from (no reasons, no category): <strong>{percent(r.without_feedback.rate)}</strong>{' '}
                <small class="n">{r.without_feedback.count} of n = {r.without_feedback.n}</small>{small(r.without_feedback.small_sample)}.
                Median days to rejection: <strong>{r.days_to_rejection.median_days ?? '—'}</strong> <small class="n">n = {r.days_to_rejection.n}</small>
                {r.days_to_rejection.median_days == null && r.days_to_rejection.n > 0 ? <small class="muted"> (needs n ≥ 5)</small> : null}.</p>
            </>
          )}
        </Section>
        <Section title="Skill trends" id="skills" route="/analytics/skills" data={skills} retry={retry}>
          {(k) => {
            const months = k.skills[0]?.by_month.map((m) => m.month) ?? [];
            return (
              <>
                <Figure id="skills" title="Skills named in feedback and rejections, per month" n={k.skills.reduce((a, s) => a + s.mentions, 0)}>
                  {k.skills_total > k.skills.length && <p class="muted" data-skills-shown>The {k.skills.length} most named of {k.skills_total} skills.</p>}
                  {k.skills.length === 0 ? <p class="muted">No skills named in this period.</p> : (
                    <table class="skills">
                      <thead><tr><th>Skill</th><th title="Strengths">Str.</th><th title="To improve">Impr.</th><th title="Rejection reasons">Rej.</th><th>{months[0]} – {months[months.length - 1]}</th><th>Trend</th></tr></thead>
                      <tbody>
                        {k.skills.map((s) => (
                          <tr data-skill={s.skill}>
                            <td>{s.skill} <small class="n">n = {s.mentions}</small></td><td>{s.strengths}</td><td>{s.improvements}</td><td>{s.rejections}</td>
                            <td><Sparkline values={s.by_month.map((m) => m.strengths + m.improvements + m.rejections)} label={s.skill} /></td>
                            <td class={`trend ${s.trend}`}>{s.trend}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Figure>
                {k.recurring_improvements.length > 0 && (
                  <div data-recurring>
                    <h3>To improve, named by several companies</h3>
                    {k.recurring_improvements_total > k.recurring_improvements.length
                      && <p class="muted" data-shown="recurring">The {k.recurring_improvements.length} named by the most companies of {k.recurring_improvements_total}.</p>}
                    <ul>{k.recurring_improvements.map((r) => <li>{r.skill} <small class="n">{r.companies} companies, {r.mentions} mentions</small></li>)}</ul>
                  </div>
                )}
              </>
            );
          }}
        </Section>
        <Section title="Follow-ups" id="follow-ups" route="/follow-ups" data={followUps} retry={() => setFollowUpTries((n) => n + 1)}>
          {(f) => f.items.length === 0 ? <p class="muted">Nothing to follow up today.</p> : (
            <>
              <p class="muted">Due by {f.today} <small class="n">n = {f.total ?? f.items.length}</small></p>
              {f.total > f.items.length && <p class="muted" data-shown="follow-ups">The {f.items.length} due first of {f.total}.</p>}
              <ol class="agenda">
                {f.items.map((item) => (
                  <li class="due" data-kind={item.kind} data-application={item.application_id}>
                    <time dateTime={item.due}>{item.due}</time> <a href={`#/applications/${item.application_id}`}>{item.company} — {item.role}</a>{' '}
                    <span class="badge">{item.kind === 'scheduled' ? 'scheduled' : `nudge ${item.nudge ?? ''}`}</span> <span class="muted">{item.reason}</span>
                  </li>
                ))}
              </ol>
            </>
          )}
        </Section>
        <CalendarFeed />
      </div>
    </>
  );
}

/** A date and time in the user's locale; the text as sent if it is not one. */
const when = (at: string) => {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};

/** The address is shown once, when made; whether one exists (and since when) is asked of the API
 * on load and after a create, so a feed made elsewhere — by anyone who held the token — shows. */
function CalendarFeed() {
  const [state, setState] = useState<{ url?: string; unavailable?: boolean; busy?: boolean }>({});
  // null while asking. Only the latest question's answer counts: one overtaken by a create, a
  // revoke or a newer question changes nothing.
  const [status, setStatus] = useState<Maybe<CalendarFeedStatus | null> | null>(null);
  const asked = useRef(0);
  const load = () => {
    const mine = ++asked.current;
    setStatus(null);
    void getCalendarFeedStatus().then((answer) => { if (asked.current === mine) setStatus(answer); });
  };
  const settle = (answer: Maybe<CalendarFeedStatus | null>) => { asked.current++; setStatus(answer); };
  useEffect(load, []);
  const active = status?.state === 'ok' && status.value !== null;
  const none = status?.state === 'ok' && status.value === null && !state.url;
  return (
    <section class="insight" data-section="calendar" aria-labelledby="h-calendar">
      <h2 id="h-calendar">Calendar feed</h2>
      {state.unavailable || status?.state === 'unavailable' ? <Unavailable what="Calendar feed" route="/calendar-feed" /> : (
        <>
          <p>Subscribe to your follow-ups (future ones included) from any calendar app. The link is secret and shown once:
            a new link replaces the old one, and revoking stops it at once.</p>
          {status === null ? <p class="muted" aria-busy="true" data-feed="loading">Checking for a calendar address…</p>
            : status.state === 'error' ? <LoadFailed what="whether a calendar address is active" error={status.message} retry={load} />
            : status.state === 'ok' && status.value ? (
              <p data-feed="active">A calendar address made on <time dateTime={status.value.created_at}>{when(status.value.created_at)}</time> is active.
                {!state.url && <span class="muted"> If you did not make it, revoke it.</span>}</p>
            ) : <p data-feed="none">No calendar address is active.</p>}
          {state.url && <p><input class="feed-url" readOnly value={state.url} aria-label="Calendar feed URL" onFocus={(e) => e.currentTarget.select()} /></p>}
          <div class="actions">
            <button disabled={state.busy} onClick={async () => {
              setState((s) => ({ ...s, busy: true }));
              const result = await createCalendarFeed();
              if (result.state === 'ok') {
                setState({ url: result.value.url });
                say('New calendar link created; the previous one no longer works.');
                load();
              } else if (result.state === 'unavailable') setState({ unavailable: true });
              else {
                // The answer may be lost after a new address was made and the one shown revoked:
                // the shown one goes, and the panel asks which address is active now.
                setState({});
                say(result.message, 'error');
                load();
              }
            }}>{state.url || active ? 'New link' : 'Create link'}</button>
            {!none && (
              <button class="danger" disabled={state.busy} onClick={async () => {
                setState((s) => ({ ...s, busy: true }));
                const result = await revokeCalendarFeed();
                if (result.state === 'error') { setState((s) => ({ ...s, busy: false })); say(result.message, 'error'); }
                else {
                  setState({});
                  settle({ state: 'ok', value: null });
                  say(result.existed ? 'Calendar link revoked.' : 'There was no calendar link to revoke.');
                }
              }}>Revoke</button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
