// Hash routes (#/board, #/table, #/applications/<id>, #/insights): one index.html serves every
// page, on S3/CloudFront and on the dev server alike, with no rewrite rules.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'board' }
  | { page: 'table' }
  | { page: 'application'; id: string }
  | { page: 'insights' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const app = /^\/applications\/([0-9A-Za-z]+)$/.exec(path);
  if (app) return { page: 'application', id: app[1] };
  if (path === '/table') return { page: 'table' };
  if (path === '/insights') return { page: 'insights' };
  return { page: 'board' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const navigate = (hash: string) => {
  location.hash = hash;
};
