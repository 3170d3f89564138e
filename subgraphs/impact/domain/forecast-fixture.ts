/** Hand-computed regression case: x̄ 1.5, ȳ 3.75, Sxx 5, Sxy −4 → slope −0.8, intercept 4.95, SSE 0.05, s² 0.025, se at x=4 is √0.025·√2.5 = 0.25. */
export const forecastTest = { points: [{ x: 0, y: 5 }, { x: 1, y: 4 }, { x: 2, y: 3.5 }, { x: 3, y: 2.5 }] };
