// Applies the view patches `cargo leptos watch --hot-reload` sends the moment a
// `view!` is saved, to a page that Leptos 0.8 rendered on the server. This copy
// replaces the published script, written for the markers of earlier Leptos
// versions (vendor/README.md). Each `view!` a page rendered sits between two
// comments, `hot-reload|<id>|open` and `hot-reload|<id>|close`; a patch names a
// node by its path through the children of the `view!` as written. The script
// reads those children back from the DOM:
// - an element or a text node is one child;
// - a nested view (a component's own `view!`) is one child, from its open
//   comment to its close comment;
// - `<!>` is one child (a component or block that rendered nothing) unless a
//   text node follows it: then it only separates two texts;
// - a suspense chunk (`s-…o` to `s-…c`) or a branch (`bo-…` to `bc-…`) is one
//   child;
// - what is written inside a component's tag is inside the component's view
//   (`bodyOf`).
// A patch is applied only where what its path names has the right kind (text
// for new text, an element for attributes); when it does not, the page keeps
// what it shows and the rebuild that follows reloads it. Either way the script
// fires a `leptos:hot-reload` event on `window` with the counts.
console.log("[HOT RELOADING] Connected to server.");
function patch(json) {
  let applied = 0;
  let failed = 0;
  let views;
  try {
    views = JSON.parse(json);
  } catch (e) {
    console.warn("[HOT RELOADING] unreadable patch", e);
    return;
  }
  for (const [id, patches] of views) {
    for (const view of instancesOf(id)) {
      try {
        for (const p of patches) {
          apply(view, p);
        }
        applied += 1;
      } catch (e) {
        failed += 1;
        console.warn(
          `[HOT RELOADING] view ${id} not patched (${e.message}); the rebuild will reload the page`,
        );
      }
    }
  }
  console.log(`[HOT RELOADING] ${applied} view(s) patched, ${failed} not`);
  window.dispatchEvent(
    new CustomEvent("leptos:hot-reload", { detail: { applied, failed } }),
  );

  // Every rendered instance of view `id`: its open and close comments.
  function instancesOf(id) {
    const open = `hot-reload|${id}|open`;
    const close = `hot-reload|${id}|close`;
    const walker = document.createTreeWalker(
      document.documentElement,
      NodeFilter.SHOW_COMMENT,
    );
    const stack = [];
    const found = [];
    while (walker.nextNode()) {
      const data = walker.currentNode.data;
      if (data === open) {
        stack.push(walker.currentNode);
      } else if (data === close && stack.length > 0) {
        found.push({ start: stack.pop(), end: walker.currentNode });
      }
    }
    return found;
  }

  // The view's root as the macro wrote it: its one node, or a fragment.
  function rootOf(view) {
    const items = itemsBetween(view.start.nextSibling, view.end);
    return items.length === 1 ? items[0] : { kind: "fragment", items };
  }

  function fail(message) {
    throw new Error(message);
  }

  // The children items of the sibling nodes from `first` up to (without) `stop`.
  function itemsBetween(first, stop) {
    const items = [];
    let node = first;
    while (node && node !== stop) {
      node = readItem(node, stop, items);
    }
    return items;
  }

  // Reads the item starting at `node` into `items`; returns the node after it.
  function readItem(node, stop, items) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      items.push({ kind: "element", node });
      return node.nextSibling;
    }
    if (node.nodeType === Node.TEXT_NODE) {
      items.push({ kind: "text", node });
      return node.nextSibling;
    }
    if (node.nodeType !== Node.COMMENT_NODE) {
      return node.nextSibling;
    }
    const data = node.data;
    const view = /^hot-reload\|(.+)\|open$/.exec(data);
    if (view) {
      // Each view is one child, also several of one id in a row: the same
      // component twice, or the items of a list. The macro counts a list as
      // one child, so a patch to a sibling after a list in the same element
      // is off by the list's length (the kind checks catch most of those;
      // the reload corrects the rest).
      const id = view[1];
      const end = closing(node, data, `hot-reload|${id}|close`);
      items.push({ kind: "range", start: node, end });
      return end.nextSibling;
    }
    const chunk = /^s-(.*)o$/.exec(data);
    if (chunk) {
      const end = closing(node, data, `s-${chunk[1]}c`);
      items.push({ kind: "range", start: node, end });
      return end.nextSibling;
    }
    const branch = /^bo-(.*)$/.exec(data);
    if (branch) {
      const end = closing(node, data, `bc-${branch[1]}`);
      items.push({ kind: "range", start: node, end });
      return end.nextSibling;
    }
    if (data === "") {
      const next = node.nextSibling;
      if (!(next && next !== stop && next.nodeType === Node.TEXT_NODE)) {
        items.push({ kind: "placeholder", node });
      }
    }
    return node.nextSibling;
  }

  // The sibling comment `close` matching the open comment `open` (same data).
  function closing(open, openData, close) {
    let depth = 1;
    let node = open.nextSibling;
    while (node) {
      if (node.nodeType === Node.COMMENT_NODE) {
        if (node.data === openData) {
          depth += 1;
        } else if (node.data === close) {
          depth -= 1;
          if (depth === 0) {
            return node;
          }
        }
      }
      node = node.nextSibling;
    }
    fail(`no closing ${close}`);
  }

  function childrenOf(item) {
    if (item.kind === "element") {
      return itemsBetween(item.node.firstChild, null);
    }
    if (item.kind === "fragment") {
      return item.items;
    }
    fail(`a ${item.kind} has no children to address`);
  }

  function itemAt(root, path) {
    let item = root;
    for (let i = 0; i < path.length; i += 1) {
      if (item.kind === "range") {
        // A component: cargo-leptos addresses what is written inside its
        // tag as [.., 0, 0, child].
        if (path[i] !== 0 || path[i + 1] !== 0) {
          fail(`path ${path} goes into a component`);
        }
        item = bodyOf(item);
        i += 1;
        continue;
      }
      const children = childrenOf(item);
      if (path[i] >= children.length) {
        fail(`path ${path} leaves the view`);
      }
      item = children[path[i]];
    }
    return item;
  }

  // Where a component rendered what was written inside its tag: Leptos 0.8
  // puts it inside the component's own view. Taken as the children of that
  // view's one element (`<A>` renders `<a>`), else the view's children; the
  // kind checks catch a component that puts them elsewhere.
  function bodyOf(range) {
    const inner = itemsBetween(range.start.nextSibling, range.end);
    if (inner.length === 1 && inner[0].kind === "element") {
      return inner[0];
    }
    return { kind: "fragment", items: inner };
  }

  // The DOM nodes an item spans, in order.
  function nodesOf(item) {
    if (item.kind === "fragment") {
      return item.items.flatMap(nodesOf);
    }
    if (item.kind !== "range") {
      return [item.node];
    }
    const nodes = [];
    for (let n = item.start; n; n = n.nextSibling) {
      nodes.push(n);
      if (n === item.end) {
        break;
      }
    }
    return nodes;
  }

  function element(item) {
    if (item.kind !== "element") {
      fail(`expected an element, found a ${item.kind}`);
    }
    return item.node;
  }

  function apply(view, p) {
    const root = rootOf(view);
    const target = itemAt(root, p.path);
    const action = p.action;
    if (action === "ClearChildren") {
      if (target.kind === "element") {
        target.node.textContent = "";
      } else {
        childrenOf(target).flatMap(nodesOf).forEach((n) => n.remove());
      }
    } else if (action.SetText !== undefined) {
      if (target.kind !== "text") {
        fail(`expected a text, found a ${target.kind}`);
      }
      target.node.data = action.SetText;
    } else if (action.SetAttribute) {
      const [name, value] = action.SetAttribute;
      element(target).setAttribute(name, value);
    } else if (action.RemoveAttribute) {
      element(target).removeAttribute(action.RemoveAttribute);
    } else if (action.ChangeTagName) {
      const old = element(target);
      const renamed = document.createElement(action.ChangeTagName);
      for (const attr of old.attributes) {
        renamed.setAttribute(attr.name, attr.value);
      }
      renamed.append(...old.childNodes);
      old.replaceWith(renamed);
    } else if (action.ReplaceWith) {
      const replacement = build(action.ReplaceWith, root);
      const nodes = nodesOf(target);
      if (nodes.length === 0) {
        fail("nothing to replace");
      }
      nodes[0].before(replacement);
      nodes.forEach((n) => n.remove());
    } else if (action.AppendChildren) {
      const children = action.AppendChildren.map((c) => build(c, root));
      element(target).append(...children);
    } else if (action.RemoveChild) {
      const children = childrenOf(target);
      const child = children[action.RemoveChild.at];
      if (!child) {
        fail(`no child ${action.RemoveChild.at} to remove`);
      }
      nodesOf(child).forEach((n) => n.remove());
    } else if (action.InsertChild) {
      const { before, child } = action.InsertChild;
      insert(target, childrenOf(target)[before], null, build(child, root));
    } else if (action.InsertChildAfter) {
      const { after, child } = action.InsertChildAfter;
      insert(target, null, childrenOf(target)[after], build(child, root));
    } else {
      fail(`unknown action ${JSON.stringify(action)}`);
    }
  }

  // Inserts `node` into `parent` before the item `before` or after the item
  // `after`; with neither, at the end of `parent`.
  function insert(parent, before, after, node) {
    if (before) {
      nodesOf(before)[0].before(node);
    } else if (after) {
      const nodes = nodesOf(after);
      nodes[nodes.length - 1].after(node);
    } else if (parent.kind === "element") {
      parent.node.append(node);
    } else {
      const nodes = childrenOf(parent).flatMap(nodesOf);
      if (nodes.length === 0) {
        fail("nowhere to insert");
      }
      nodes[nodes.length - 1].after(node);
    }
  }

  // New DOM for a replacement: HTML, an element, a fragment, or a copy of what
  // a path names in the view as it was.
  function build(replacement, root) {
    if (replacement.Html !== undefined) {
      const template = document.createElement("template");
      template.innerHTML = replacement.Html;
      return template.content;
    }
    if (replacement.Fragment) {
      const fragment = document.createDocumentFragment();
      for (const child of replacement.Fragment) {
        fragment.append(build(child, root));
      }
      return fragment;
    }
    if (replacement.Element) {
      const el = document.createElement(replacement.Element.name);
      for (const [name, value] of replacement.Element.attrs) {
        el.setAttribute(name, value);
      }
      for (const child of replacement.Element.children) {
        el.append(build(child, root));
      }
      return el;
    }
    if (replacement.Path) {
      const fragment = document.createDocumentFragment();
      for (const n of nodesOf(itemAt(root, replacement.Path))) {
        fragment.append(n.cloneNode(true));
      }
      return fragment;
    }
    fail(`unknown replacement ${JSON.stringify(replacement)}`);
  }
}
