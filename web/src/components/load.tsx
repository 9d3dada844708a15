// What a page shows when what it shows could not be loaded: why, and a way to try again
// (not a spinner forever, nor the rows of an earlier load).

export function LoadFailed({ what, error, retry }: { what: string; error: string; retry: () => void }) {
  return (
    <p class="message error load-failed" role="alert">
      Could not load {what}: {error}{' '}
      <button type="button" onClick={retry}>Retry</button>
    </p>
  );
}
