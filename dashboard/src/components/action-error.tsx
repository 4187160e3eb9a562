/** An action's failure, announced to screen readers as it appears. */
export function ActionError({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}
