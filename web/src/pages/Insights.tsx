// Insights: the analytics routes as charts, the follow-ups agenda and the calendar-feed link.
// A route that answers 404 (not deployed yet) shows "not available yet" and lights up when it lands.
import { useEffect, useState } from 'preact/hooks';
import {
  createCalendarFeed, getFollowUps, getRejections, getSkills, getSummary, revokeCalendarFeed,
  type FollowUps, type Maybe, type Period, type RejectionAnalytics, type SkillAnalytics, type Summary,
} from '../api/analytics';
import { label } from '../api/types';
import { Bars, Columns, Figure, percent, Sparkline } from '../components/charts';
import { say, today } from '../state';

function Unavailable({ what, route }: { what: string; route: string }) {
  return (
    <div class="unavailable" data-unavailable={route}>
      <p><strong>{what}: not available yet.</strong> This API does not serve <code>{route}</code> yet; this panel lights up when it does.</p>
    </div>
  );
}

function Section<T>({ title, route, data, children }: { title: string; route: string; data: Maybe<T> | null; children: (value: T) => preact.ComponentChildren }) {
  return (
    <section class="insight" aria-labelledby={`h-${route.replace(/\W/g, '')}`}>
      <h2 id={`h-${route.replace(/\W/g, '')}`}>{title}</h2>
      {data === null ? <p aria-busy="true">Loading…</p>
        : data.state === 'unavailable' ? <Unavailable what={title} route={route} />
        : data.state === 'error' ? <p class="message error">{data.message}</p>
        : children(data.value)}
    </section>
  );
}

export function Insights() {
  const [period, setPeriod] = useState<Period>({});
  const [summary, setSummary] = useState<Maybe<Summary> | null>(null);
  const [rejections, setRejections] = useState<Maybe<RejectionAnalytics> | null>(null);
  const [skills, setSkills] = useState<Maybe<SkillAnalytics> | null>(null);
  const [followUps, setFollowUps] = useState<Maybe<FollowUps> | null>(null);
  useEffect(() => {
    setSummary(null); setRejections(null); setSkills(null); setFollowUps(null);
    void getSummary(period).then(setSummary);
    void getRejections(period).then(setRejections);
    void getSkills(period).then(setSkills);
    void getFollowUps(period).then(setFollowUps);
  }, [period.from, period.to]);

  return (
    <>
      <div class="toolbar">
        <h1>Insights</h1>
        <form class="period" onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          setPeriod({ from: String(data.get('from') || '') || undefined, to: String(data.get('to') || '') || undefined });
        }}>
          <label>From <input type="date" name="from" max={today()} /></label>
          <label>To <input type="date" name="to" /></label>
          <button>Apply</button>
        </form>
      </div>
      <div class="insights">
        <Section title="Funnel" route="/analytics/summary" data={summary}>
          {(s) => (
            <>
              <Figure id="funnel" title="Applications reaching each stage" n={s.total}>
                <Bars data={s.funnel.map((f) => ({ label: label(f.stage), value: f.count }))} />
              </Figure>
              <dl class="rates">
                <div><dt>Response rate</dt><dd>{percent(s.rates.response.rate)} <small>n = {s.rates.response.n}</small></dd></div>
                <div><dt>Interview rate</dt><dd>{percent(s.rates.interview.rate)} <small>n = {s.rates.interview.n}</small></dd></div>
                <div><dt>Offer rate</dt><dd>{percent(s.rates.offer.rate)} <small>n = {s.rates.offer.n}</small></dd></div>
              </dl>
            </>
          )}
        </Section>
        <Section title="Weekly activity" route="/analytics/summary" data={summary}>
          {(s) => (
            <Figure id="weekly" title="Applications per week (last 12 ISO weeks)" n={s.weekly.reduce((a, w) => a + w.count, 0)}>
              <Columns data={s.weekly.map((w) => ({ label: w.week, value: w.count }))} />
            </Figure>
          )}
        </Section>
        <Section title="Time to response" route="/analytics/summary" data={summary}>
          {(s) => (
            <figure class="chart" data-chart="time-to-response">
              <figcaption><strong>Days from applying to the first response</strong> <span class="n">n = {s.time_to_first_response.n}</span></figcaption>
              {s.time_to_first_response.median_days === null
                ? <p class="muted">Not enough responses for a median yet (needs n ≥ 5).</p>
                : <Bars data={[
                    { label: 'Median', value: s.time_to_first_response.median_days },
                    { label: '75th percentile', value: s.time_to_first_response.p75_days ?? 0 },
                  ]} format={(v) => `${v} d`} />}
              <p class="muted">{s.time_to_first_response.censored} still waiting (not counted).</p>
            </figure>
          )}
        </Section>
        <Section title="Where responses come from" route="/analytics/summary" data={summary}>
          {(s) => (
            <>
              {(['source', 'work_mode', 'tag'] as const).map((key) => (
                <Figure id={`by-${key}`} title={`Response rate by ${label(key).toLowerCase()}`} n={s.breakdowns[key].reduce((a, b) => a + b.n, 0)}>
                  <Bars data={s.breakdowns[key].map((b) => ({ label: label(b.key), value: Math.round((b.response_rate ?? 0) * 100), note: `n=${b.n}` }))} format={(v) => `${v} %`} />
                </Figure>
              ))}
            </>
          )}
        </Section>
        <Section title="Rejections" route="/analytics/rejections" data={rejections}>
          {(r) => (
            <>
              <Figure id="rejection-categories" title="By category" n={r.n}>
                <Bars data={r.by_category.map((c) => ({ label: label(c.key), value: c.count }))} />
              </Figure>
              <Figure id="rejection-stages" title="By stage" n={r.n}>
                <Bars data={r.by_stage.map((c) => ({ label: label(c.key), value: c.count }))} />
              </Figure>
              <Figure id="rejection-reasons" title="Top reasons" n={r.n}>
                <Bars data={r.top_reasons.map((c) => ({ label: c.key, value: c.count }))} />
              </Figure>
              <p>Without feedback: <strong>{percent(r.without_feedback.rate)}</strong> <small>n = {r.without_feedback.n}</small>.
                Median days to rejection: <strong>{r.median_days_to_rejection ?? '—'}</strong>.</p>
            </>
          )}
        </Section>
        <Section title="Skill trends" route="/analytics/skills" data={skills}>
          {(k) => (
            <figure class="chart" data-chart="skills">
              <figcaption><strong>Skills named in feedback, per month</strong> <span class="n">n = {k.skills.reduce((a, s) => a + s.strengths + s.improvements, 0)}</span></figcaption>
              {k.skills.length === 0 ? <p class="muted">No skills named in feedback yet.</p> : (
                <table class="skills">
                  <thead><tr><th>Skill</th><th>Strength</th><th>To improve</th><th>{k.months[0]} – {k.months[k.months.length - 1]}</th><th>Trend</th></tr></thead>
                  <tbody>
                    {k.skills.map((s) => (
                      <tr><td>{s.skill}</td><td>{s.strengths}</td><td>{s.improvements}</td><td><Sparkline values={s.counts} label={s.skill} /></td><td>{s.trend}</td></tr>
                    ))}
                  </tbody>
                </table>
              )}
            </figure>
          )}
        </Section>
        <Section title="Follow-ups" route="/follow-ups" data={followUps}>
          {(f) => f.items.length === 0 ? <p class="muted">Nothing to follow up.</p> : (
            <ol class="agenda">
              {f.items.map((item) => (
                <li class={item.due <= today() ? 'due' : undefined}>
                  <time dateTime={item.due}>{item.due}</time> <a href={`#/applications/${item.application_id}`}>{item.company} — {item.role}</a> <span class="muted">{item.reason}</span>
                </li>
              ))}
            </ol>
          )}
        </Section>
        <CalendarFeed />
      </div>
    </>
  );
}

function CalendarFeed() {
  const [state, setState] = useState<{ url?: string; unavailable?: boolean }>({});
  return (
    <section class="insight" aria-labelledby="h-calendar">
      <h2 id="h-calendar">Calendar feed</h2>
      {state.unavailable ? <Unavailable what="Calendar feed" route="/calendar-feed" /> : (
        <>
          <p>Subscribe to your follow-ups from any calendar app. The link is secret; revoke it if it leaks.</p>
          {state.url && <p><input class="feed-url" readOnly value={state.url} aria-label="Calendar feed URL" onFocus={(e) => e.currentTarget.select()} /></p>}
          <div class="actions">
            <button onClick={async () => {
              const result = await createCalendarFeed();
              if (result.state === 'ok') setState({ url: result.value.url });
              else if (result.state === 'unavailable') setState({ unavailable: true });
              else say(result.message, 'error');
            }}>{state.url ? 'New link' : 'Create link'}</button>
            {state.url && <button class="danger" onClick={async () => {
              const result = await revokeCalendarFeed();
              if (result.state === 'error') say(result.message, 'error');
              else { setState({}); say('Calendar link revoked.'); }
            }}>Revoke</button>}
          </div>
        </>
      )}
    </section>
  );
}
