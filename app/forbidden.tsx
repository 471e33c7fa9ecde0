import Link from "next/link";

const Forbidden = () => (
  <main id="main" className="mx-auto max-w-xl px-4 py-16">
    <h1 className="text-2xl font-semibold">You do not have access to this page</h1>
    <p className="mt-2 text-slate-600">Your groups do not include this area. The attempt has been recorded.</p>
    <Link href="/" className="mt-6 inline-block underline">
      Back to My access
    </Link>
  </main>
);

export default Forbidden;
