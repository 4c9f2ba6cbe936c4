// How the benchmark drives @smtpkit/grammar's readers and encoder. Kept apart
// from the suite so that the suite reads like the comparison it is.

export function ourCommandReader(grammar, chunks, expected) {
  return () => {
    const reader = grammar.module.createCommandReader();
    let count = 0;
    for (const chunk of chunks) {
      for (const event of reader.push(chunk)) if (event.type === "command") count += 1;
    }
    if (count !== expected) throw new Error(`grammar read ${count} commands, expected ${expected}`);
    return count;
  };
}

export function ourDataReader(grammar, chunks, total) {
  return () => {
    const reader = grammar.module.createCommandReader();
    reader.expectData();
    let ended = false;
    for (const chunk of chunks) {
      for (const event of reader.push(chunk)) if (event.type === "data-end") ended = true;
    }
    if (!ended) throw new Error("grammar did not find the end of data");
    return total;
  };
}

export function ourDataEncoder(grammar, chunks, total) {
  return () => {
    const encoder = grammar.module.createDataEncoder();
    for (const chunk of chunks) encoder.push(chunk);
    encoder.end();
    return total;
  };
}
