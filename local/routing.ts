/**
 * Matching a request to a route, API Gateway style: `{name}` matches one path segment, a final `{name+}`
 * the rest of the path. HEAD falls back to the GET route, which must not change state either.
 */

export interface RouteLike {
  readonly method: string;
  readonly path: string;
}

export interface RouteMatch<R extends RouteLike> {
  readonly route: R;
  readonly pathParameters: Record<string, string> | null;
}

export function findRoute<R extends RouteLike>(
  routes: readonly R[],
  method: string,
  pathname: string,
): RouteMatch<R> | undefined {
  const methods = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
  for (const wanted of methods) {
    for (const route of routes) {
      if (route.method !== wanted) continue;
      const pathParameters = matchPath(route.path, pathname);
      if (pathParameters !== undefined)
        return { route, pathParameters: Object.keys(pathParameters).length === 0 ? null : pathParameters };
    }
  }
  return undefined;
}

/** Every method routed for this path, for answering CORS preflights. */
export function methodsForPath(routes: readonly RouteLike[], pathname: string): string[] {
  return [...new Set(routes.filter((r) => matchPath(r.path, pathname) !== undefined).map((r) => r.method))];
}

/** The path parameters when `pathname` fits the template, else `undefined`. */
export function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = pathname.split('/');
  const parameters: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy?.[1] && index === want.length - 1) {
      const rest = got.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[greedy[1]] = decode(rest);
      return parameters;
    }
    const segment = got[index];
    if (segment === undefined) return undefined;
    const single = /^\{(\w+)\}$/.exec(part);
    if (single?.[1]) {
      if (segment === '') return undefined;
      parameters[single[1]] = decode(segment);
    } else if (part !== segment) {
      return undefined;
    }
  }
  return got.length === want.length ? parameters : undefined;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
